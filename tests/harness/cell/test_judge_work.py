"""Per training step, the judge's work: requests and the server's prompt/completion tokens add up to
what the server answered; and the guard that stops a run whose judge stopped scoring."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.rubric import Criterion, Rubric
from evals.judges.openai_judge import OpenAIJudge
from harness.cell.rewards import RubricReward
from harness.cell.starvation import JudgeStarved, StarvationGuard
from methods.static import Static
from tests.support.testserver import JudgeTestServer

RUBRIC = Rubric(
    criteria=(
        Criterion(text="Names Paris", kind="hard_rule", check={"type": "contains", "value": "Paris"}),
        Criterion(text="Is friendly", kind="principle"),
    )
)


def _step(reward: RubricReward, step: int, texts: list[str]) -> dict[str, float]:
    """One GRPO step's reward call as TRL makes it (two prompts, two rollouts each)."""
    logged: dict[str, float] = {}
    reward(
        prompts=[None] * 4,
        completions=[[{"role": "assistant", "content": t}] for t in texts],
        example_id=["a", "a", "b", "b"],
        question=["Capital of France?"] * 2 + ["And of Italy?"] * 2,
        rubric=[RUBRIC.to_json()] * 4,
        log_metric=logged.__setitem__,
        trainer_state=SimpleNamespace(global_step=step - 1),
    )
    return logged


@pytest.fixture
def server():
    with JudgeTestServer().register(RUBRIC) as srv:
        yield srv


def _judge(srv: JudgeTestServer, **kw) -> OpenAIJudge:
    return OpenAIJudge(
        base_url=srv.url,
        model="loopback-judge",
        mode="rubric",
        require_api_key=False,
        max_retries=2,
        backoff_base=0.001,
        backoff_max=0.002,
        cache_path=None,
        **kw,
    )


def test_step_tokens_add_up_to_the_servers_usage(server):
    reward = RubricReward(_judge(server), Static())
    seen = 0
    totals = {"prompt_tokens": 0, "completion_tokens": 0}
    server.inject("malformed", "500")  # an invalid reply costs tokens too; an HTTP error has none
    for step, texts in enumerate(
        [
            ["Paris.", "Rome?", "Paris!", "Milan"],
            ["Lyon", "Paris, yes", "Rome", "Turin"],
            ["Paris.", "Rome?", "Paris!", "Milan"],
        ],
        start=1,
    ):  # step 3: all cached
        m = _step(reward, step, texts)
        new = server.log[seen:]
        seen = len(server.log)
        for k in totals:
            got = sum(e["usage"][k] for e in new if "usage" in e)
            totals[k] += got
            assert m[f"judge/step_{k}"] == got, (step, k)
            assert m[f"judge/{k}"] == totals[k]  # the cumulative counter, as judge/requests
        assert m["judge/step_requests"] == len(new)
    assert m["judge/step_requests"] == 0 and m["judge/step_prompt_tokens"] == 0
    assert totals["prompt_tokens"] > 0 and totals["completion_tokens"] > 0
    assert m["judge/requests"] == len(server.log) == 8 + 2  # two faults retried


def test_the_guard_waits_for_a_full_window_above_the_limit():
    g = StarvationGuard("j", max_unscorable=0.6, window=2)
    g.update(1, 0, 8)
    g.update(2, 8, 8)  # share 0.5
    with pytest.raises(JudgeStarved) as e:
        g.update(3, 8, 8)  # share 1.0
    assert e.value.first_bad_step == 2 and "over steps 2-3" in str(e.value)
    one = StarvationGuard("j", max_unscorable=0.9, window=1)
    one.update(1, 7, 8)  # 0.875: a weak judge, not a dead one
    with pytest.raises(JudgeStarved):
        one.update(2, 8, 8)
    with pytest.raises(ValueError):
        StarvationGuard("j", max_unscorable=1.5, window=1)


def test_a_dead_judge_stops_the_reward_before_its_step(server):
    judge = _judge(server, max_unscorable=0.5, unscorable_window=2)
    guard = StarvationGuard.for_judge(judge)
    assert guard is not None and guard.window == 2 and "'loopback-judge' at http://127.0.0.1" in guard.judge
    reward = RubricReward(judge, Static())
    reward.guard = guard
    _step(reward, 1, ["Paris", "Rome", "Paris!", "Milan"])
    server.dead_after = server.requests  # the server dies
    m = _step(reward, 2, ["Lyon", "Paris, yes", "Rome", "Turin"])  # window share 0.5: not above
    assert m["reward/unscorable_rollouts"] == 4
    with pytest.raises(JudgeStarved) as e:
        _step(reward, 3, ["Nice", "Paris, sure", "Venice", "Turin!"])
    assert e.value.first_bad_step == 2
    assert StarvationGuard.for_judge(SimpleNamespace(name="rules")) is None
