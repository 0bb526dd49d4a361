"""Per-step timing: the pure arithmetic of harness.cell.timing and the reward function's own timers."""

from __future__ import annotations

import pytest

from harness.cell.timing import PARTS, Parts, step_logs, summarize


def test_step_logs_split_the_reward_into_judge_and_aggregation_and_keep_the_rest():
    logs = step_logs({"generation": 6.0, "judge": 0.5, "reward": 0.8, "optimizer": 1.0}, step_s=20.0, steps=2)
    assert logs["timing/generation_s"] == 3.0 and logs["timing/judge_s"] == 0.25
    assert logs["timing/aggregation_s"] == pytest.approx(0.15)  # reward minus its judge call
    assert logs["timing/optimizer_s"] == 0.5 and logs["timing/step_s"] == 10.0
    assert sum(logs[f"timing/{p}_s"] for p in PARTS) == pytest.approx(10.0)
    assert step_logs({}, 4.0, 1)["timing/other_s"] == 4.0


def test_summarize_means_and_shares_over_training_rows():
    rows = [{"phase": "train", **step_logs({"generation": g, "judge": 0.1, "reward": 0.2}, 10.0, 1)}
            for g in (4.0, 6.0)] + [{"phase": "train_summary"}, {"phase": "train", "loss": 1.0}]
    s = summarize(rows)
    assert s["steps"] == 2 and s["step"] == 10.0 and s["generation"] == 5.0
    assert s["judge_aggregation_share"] == pytest.approx(0.02)
    assert sum(s[f"{p}_share"] for p in PARTS) == pytest.approx(1.0)
    assert summarize([{"phase": "train", "loss": 1.0}]) == {}


def test_reward_function_times_its_judge_call_inside_its_whole_call():
    from core.rubric import Rubric
    from evals.judges.rules import RulesJudge
    from harness.cell.rewards import RubricReward
    from harness.compose import instantiate_method

    rubric = Rubric.from_json('[{"text": "no at", "kind": "hard_rule", "check": {"type": "not_contains", "value": "@"}}]')
    parts = Parts()
    reward = RubricReward(RulesJudge(), instantiate_method("static"), timer=parts)
    out = reward(prompts=["q", "q"], completions=["a", "b@"], example_id=["1", "1"], question=["q", "q"],
                 rubric=[rubric.to_json()] * 2)
    assert out == [1.0, 0.0]
    secs = parts.drain()
    assert 0 < secs["judge"] <= secs["reward"]
    assert parts.drain() == {}


def test_parts_accumulate_even_when_the_timed_block_raises():
    parts = Parts()
    with pytest.raises(ValueError), parts.time("judge"):
        raise ValueError
    assert parts.seconds["judge"] >= 0 and "judge" in parts.drain()
