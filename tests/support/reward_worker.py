"""One process of the distributed-reward test: ``python -m tests.support.reward_worker OUT`` with
torch.distributed env vars (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) set, or none for one process.

Runs three reward steps of the focal method (EMA state) on a fixed global batch, scoring the
slice TRL would give this rank (contiguous blocks in rank order), and writes rewards + state.
"""

from __future__ import annotations

import json
import os
import sys

from core.rubric import Criterion, Rubric
from evals.judges.rules import RulesJudge
from harness.cell.rewards import RubricReward
from methods.focal import Focal

R1 = Rubric(
    criteria=[
        Criterion(text="says cat", kind="hard_rule", check={"type": "contains", "value": "cat"}),
        Criterion(text="colours", kind="principle", check={"type": "keywords", "words": ["red", "blue"]}),
        Criterion(text="ends !", kind="hard_rule", check={"type": "ends_with", "value": "!"}),
    ]
)
R2 = Rubric(criteria=[Criterion(text="says dog", kind="hard_rule", check={"type": "contains", "value": "dog"})])
# 3 prompts x G=4 = 12 rollouts; with 2 ranks of 6, group "b" straddles the two ranks
IDS = ["a"] * 4 + ["b"] * 4 + ["c"] * 4
RUBRICS = {"a": R1, "b": R2, "c": R1}
STEPS = [
    ["red cat!", "cat", "blue", "red blue cat!", "dog", "a dog", "cat", "dog!", "x", "cat!", "red", "blue cat"],
    ["cat!", "cat!", "red", "cat", "dog", "dog", "dog", "no", "red blue cat!", "cat!", "cat!", "x"],
    ["x", "y", "z", "cat", "dog", "x", "x", "x", "red cat!", "blue cat!", "cat", "cat!"],
]


def main(out: str) -> None:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        import torch.distributed as dist

        dist.init_process_group("gloo")
    reward = RubricReward(RulesJudge(), Focal(gamma=2.0, ema=0.5))
    n = len(IDS) // world
    mine = slice(rank * n, (rank + 1) * n)
    result = {"rewards": [], "metrics": []}
    for texts in STEPS:
        ids = IDS[mine]
        rewards, metrics, _ = reward.score(
            ids, [f"q-{k}" for k in ids], [RUBRICS[k].to_json() for k in ids], texts[mine]
        )
        result["rewards"].append(rewards)
        result["metrics"].append({k: v for k, v in metrics.items() if not k.startswith("judge/")})
    result["state"] = json.loads(json.dumps(reward.method.state_dict(), default=lambda a: a.tolist()))
    with open(out, "w") as fh:
        json.dump(result, fh)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
