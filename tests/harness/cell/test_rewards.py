"""The TRL reward function: grouping by prompt, normalization, method, None for unscorable."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.config import REPO_ROOT
from core.rubric import Criterion, Rubric
from evals.judges.base import Judge, Judgment
from evals.judges.rules import RulesJudge
from harness.cell.rewards import RubricReward
from methods.static import Static

RUBRIC = Rubric(
    criteria=[
        Criterion(text="says cat", kind="hard_rule", check={"type": "contains", "value": "cat"}),
        Criterion(text="keywords", kind="principle", check={"type": "keywords", "words": ["red", "blue"]}),
    ]
)
OTHER = Rubric(criteria=[Criterion(text="ends with !", kind="hard_rule", check={"type": "ends_with", "value": "!"})])


def test_rewards_follow_the_rubric_per_group():
    reward = RubricReward(RulesJudge(), Static())
    logged, extra = {}, {}
    out = reward(
        prompts=[None] * 4,
        completions=[[{"role": "assistant", "content": t}] for t in ["a red cat", "blue", "wow!", "no"]],
        example_id=["a", "a", "b", "b"],
        question=["qa", "qa", "qb", "qb"],
        rubric=[RUBRIC.to_json()] * 2 + [OTHER.to_json()] * 2,
        log_metric=lambda k, v: logged.__setitem__(k, v),
        log_extra=lambda k, v: extra.__setitem__(k, v),
    )
    # group a: (1 + 0.5)/2, (0 + 0.5)/2 ; group b: 1, 0
    assert out == pytest.approx([0.75, 0.25, 1.0, 0.0])
    assert logged["reward/mean"] == pytest.approx(0.5)
    assert logged["judge/requests"] == 4
    assert [json.loads(w) for w in extra["criterion_weights"]] == [[0.5, 0.5], [0.5, 0.5], [1.0], [1.0]]


class _FlakyJudge(Judge):
    """Stands in for a judge whose replies were unscorable after retries (None scores)."""

    name = "flaky"

    def judge(self, requests):
        out = []
        for r in requests:
            if "broken" in r.response:
                out.append(Judgment(scores=[None] * len(r.rubric)))
            elif "half" in r.response:
                out.append(Judgment(scores=[True, None]))
            else:
                out.append(Judgment(scores=[False, 10]))
        return out


def test_unscorable_rollouts_are_none_and_never_zero():
    reward = RubricReward(_FlakyJudge(), Static())
    rewards, metrics, _ = reward.score(
        ["a", "a", "a"], ["q"] * 3, [RUBRIC.to_json()] * 3, ["broken", "half", "fine"]
    )
    assert rewards[0] is None
    assert rewards[1] == pytest.approx(1.0)  # the unscorable criterion is left out, weights renormalized
    assert rewards[2] == pytest.approx(0.5)
    assert metrics["reward/unscorable_rollouts"] == 1.0
    assert metrics["judge/unscorable_fraction"] == pytest.approx(3 / 6)
    assert not any(isinstance(r, float) and np.isnan(r) for r in rewards)


def test_pitfalls_are_flipped_so_one_means_avoided():
    pitfall = Rubric(
        criteria=[
            Criterion(text="answers", kind="hard_rule", weight=5, check={"type": "contains", "value": "100"}),
            Criterion(text="Pitfall: says Fahrenheit", kind="hard_rule", weight=-1,
                      check={"type": "contains", "value": "fahrenheit"}),
        ]
    )
    reward = RubricReward(RulesJudge(), Static())
    rewards, _, _ = reward.score(["p", "p"], ["q"] * 2, [pitfall.to_json()] * 2, ["100 C", "100 Fahrenheit"])
    assert rewards == pytest.approx([1.0, 0.5])  # committing the pitfall costs reward


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_score_like_one(tmp_path):
    """Real torch.distributed (gloo, 2 processes): a GRPO group split across ranks stays one
    group, and each rank gets exactly its slice of the single-process rewards, with the same
    focal state and metrics on every rank."""
    import os
    import subprocess
    import sys

    root = REPO_ROOT
    base = {**os.environ, "PYTHONPATH": str(root)}
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        base.pop(k, None)
    cmd = [sys.executable, "-m", "tests.support.reward_worker"]
    subprocess.run([*cmd, str(tmp_path / "single.json")], env=base, cwd=root, check=True, timeout=120)
    port = str(_free_port())
    procs = [
        subprocess.Popen(
            [*cmd, str(tmp_path / f"rank{r}.json")],
            env={**base, "RANK": str(r), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port},
            cwd=root,
        )
        for r in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    single = json.loads((tmp_path / "single.json").read_text())
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    for step, want in enumerate(single["rewards"]):
        assert ranks[0]["rewards"][step] + ranks[1]["rewards"][step] == pytest.approx(want)
    assert ranks[0]["state"] == ranks[1]["state"] == single["state"]
    assert ranks[0]["metrics"] == ranks[1]["metrics"] == single["metrics"]
    assert len(single["state"]["state"]) == 3  # the state covers all prompts, including the split one


def test_the_training_dataset_carries_ids_and_the_reward_looks_rubrics_up():
    """TRL's dataset holds prompts and ids only (no rubric JSON per row); the reward finds each rubric by id."""
    from core.rubric import Example
    from harness.cell.train import training_dataset

    examples = [Example(id="a", prompt="qa", rubric=RUBRIC),
                Example(id="b", prompt="qb", rubric=OTHER)]
    ds = training_dataset(examples)
    assert ds.column_names == ["prompt", "example_id"]
    reward = RubricReward(RulesJudge(), Static(), examples=examples)
    out = reward(prompts=[None] * 4, completions=[[{"role": "assistant", "content": t}] for t in ["a red cat", "blue", "wow!", "no"]],
                 example_id=["a", "a", "b", "b"])
    assert out == pytest.approx([0.75, 0.25, 1.0, 0.0])
    with pytest.raises(KeyError, match="no rubric for prompt 'c'"):
        reward(prompts=[None], completions=["x"], example_id=["c"], question=["q"])
