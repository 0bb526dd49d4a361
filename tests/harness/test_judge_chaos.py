"""A judge that dies mid-training stops the run; the same command resumes it into the uninterrupted run.

The loopback judge server goes dead (every connection closed unanswered) from the first request
after step 2 on. With ``judge.unscorable_window=2`` and ``judge.max_unscorable=0.6``, step 3 (all
unscorable, but the window's share is 0.5) trains without a judge and is checkpointed; step 4
tips the window and the run stops: exit 2, one line naming the judge, checkpoint-3 (an update
made without a judge) deleted, checkpoint-2 intact. The server comes back, the same command
resumes from checkpoint-2 and ends with the uninterrupted run's per-step metrics and weights.
"""

from __future__ import annotations

import json

import pytest

from tests.support.kill import run_until, sweep_command
from tests.support.resume_util import (
    cell_overrides,
    env,
    mirror_differences,
    policy_dir,
    run_in_process,
    train_rows,
    weight_differences,
)

CELL = [
    "method=static",
    "data.limit=8",
    "train.max_steps=4",
    "train.save_steps=1",
    "benchmark=toy_heldout",
    "benchmark.limit=2",
    "eval.max_new_tokens=8",
    "tracking=none",
    "judge=openai",
    "judge.model=loopback-judge",
    "judge.require_api_key=false",
    "judge.mode=rubric",
    "judge.max_retries=1",
    "judge.backoff_base=0.01",
    "judge.backoff_max=0.02",
    "judge.timeout=10",
    "judge.unscorable_window=2",
    "judge.max_unscorable=0.6",
]
JUDGE_NOISE = "judge/"  # request counts: the resumed steps' requests differ from the first attempt's


@pytest.fixture
def judge_server():
    from core.data import load_training_examples
    from harness.compose import compose_sweep as compose
    from tests.support.testserver import JudgeTestServer

    cfg, _ = compose(["data.limit=8"])
    train, held = load_training_examples(cfg.data)
    srv = JudgeTestServer(record=False).start()
    srv.register(*(e.rubric for e in [*train, *held]))  # it scores as the rules judge would
    try:
        yield srv
    finally:
        srv.stop()


def _overrides(root, cache, url):
    return cell_overrides(
        root, cache, [*CELL, f"judge.base_url={url}", f"judge.cache_path={root / 'judge.sqlite'}"]
    )


@pytest.mark.slow
def test_a_dead_judge_stops_the_run_and_the_same_command_resumes_it(tmp_path, tiny_cache, judge_server):
    ref_root, root = tmp_path / "uninterrupted", tmp_path / "starved"
    run_in_process(_overrides(ref_root, tiny_cache, judge_server.url))
    ref = train_rows(policy_dir(ref_root))
    assert [r["step"] for r in ref] == [1, 2, 3, 4] and ref[1]["judge/step_requests"] > 0

    # the same run from a fresh cache: the probe's request, then steps 1-2's (one more for margin:
    # step 3 keeps at most one scorable rollout), then nothing answers
    judge_server.reset()
    judge_server.dead_after = 1 + int(ref[1]["judge/requests"]) + 1
    cmd = sweep_command(_overrides(root, tiny_cache, judge_server.url))
    out = run_until(cmd, env=env(tiny_cache), log_path=tmp_path / "starved.log", timeout=300)
    assert out.returncode == 2, out.log[-3000:]
    errors = [line for line in out.log.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and f"judge 'loopback-judge' at {judge_server.url}" in errors[0], out.log[-3000:]
    assert "over steps 3-4" in errors[0] and "judge.max_unscorable=0.6" in errors[0]
    policy = policy_dir(root)
    assert not (policy / "DONE").exists()
    ckpts = sorted(p.name for p in (policy / "checkpoints").glob("checkpoint-*"))
    assert ckpts == ["checkpoint-2"], ckpts  # checkpoint-3 was trained without a judge: gone
    state = json.loads((policy / "checkpoints" / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    starved = train_rows(policy)
    assert [r["step"] for r in starved] == [1, 2, 3] and starved[2]["reward/unscorable_rollouts"] > 0

    judge_server.dead_after = None  # the judge is back: the same command again
    again = run_until(cmd, env=env(tiny_cache), log_path=tmp_path / "resumed.log", timeout=300)
    assert again.returncode == 0, again.log[-3000:]
    assert (policy / "DONE").exists()
    result = json.loads((policy / "train_result.json").read_text())
    assert result["resumed_from"].endswith("checkpoint-2")
    got = train_rows(policy)
    assert [r["step"] for r in got] == [1, 2, 3, 4]  # every step exactly once
    assert mirror_differences(_no_judge(ref), _no_judge(got)) == []
    assert weight_differences(policy_dir(ref_root), policy) == []


def _no_judge(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if not k.startswith(JUDGE_NOISE)} for r in rows]
