"""The per-step verdicts a training run records: written by the reward function, stepped and trimmed
by the trainer's callbacks, None verdicts kept as NaN."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from harness.cell.rewards import RubricReward, VerdictLog
from harness.records import verdicts
from methods.static import Static
from tests.harness.cell.test_rewards import RUBRIC, _FlakyJudge


def call(reward: RubricReward, texts: list[str]) -> list[float | None]:
    return reward(prompts=[None] * len(texts), completions=[[{"role": "assistant", "content": t}] for t in texts],
                  example_id=["a"] * len(texts), question=["q"] * len(texts), rubric=[RUBRIC.to_json()] * len(texts))


def test_each_reward_call_writes_the_verdicts_of_its_step(tmp_path):
    log = VerdictLog(tmp_path, "group")
    reward = RubricReward(_FlakyJudge(), Static(), recorder=log)
    log.on_step_begin(None, SimpleNamespace(global_step=0), None)
    out = call(reward, ["ok", "half"])
    log.on_step_begin(None, SimpleNamespace(global_step=1), None)
    call(reward, ["ok", "broken"])
    df = verdicts.read(tmp_path)
    assert sorted(set(df["step"])) == [1, 2]
    one = df[df["step"] == 1].sort_values(["rollout", "criterion"])
    # "ok": [False, 10] -> [0, 1]; "half": [True, None] -> [1, NaN] (a judge failure is never a score)
    assert one["score"].tolist()[:3] == [0.0, 1.0, 1.0] and math.isnan(one["score"].tolist()[3])
    assert one.groupby("rollout")["reward"].first().tolist() == pytest.approx(out)
    assert one["kind"].tolist() == ["hard_rule", "principle"] * 2
    assert one.groupby("rollout")["advantage"].first().tolist() == pytest.approx(
        verdicts.advantages([out], "group")[0].tolist())
    # on resume from the checkpoint of step 1, step 2's verdicts go (step 2 is done again)
    log.on_train_begin(None, SimpleNamespace(global_step=1), None)
    assert sorted(set(verdicts.read(tmp_path)["step"])) == [1]
