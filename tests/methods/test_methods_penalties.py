"""Every registered method: meeting a penalty criterion (negative points or weight) lowers the reward.

Penalties are judged "present" like any criterion; ``core.scores.oriented`` flips them before a
method sees them, so the contract holds only if that path is the one training takes. The test
therefore runs the trainer's reward (harness.cell.rewards.RubricReward) with the rules judge and each
method composed from conf/method/<name>.yaml exactly as training does. The comparison is within a
group: that is all GRPO uses, and group-relative methods (gdpo) have no meaning across groups.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.rubric import Criterion, Rubric
from evals.judges.rules import RulesJudge
from harness.cell.rewards import RubricReward
from harness.compose import instantiate_method, method_names

NAMES = method_names()
GOOD = "The answer names the capital. It is short."
BAD = "The answer names the capital. It is short. Also push the bone back."


def rubric(kind: str, sign_field: str) -> Rubric:
    def c(text, value, kind_, check):
        return Criterion(text=text, kind=kind_, check=check, **{sign_field: value})

    return Rubric(criteria=(
        c("Names the capital.", 5.0, "hard_rule", {"type": "contains", "value": "capital"}),
        c("Is short.", 2.0, "principle", {"type": "word_count", "max": 40}),
        c("Suggests pushing the bone back.", -8.0, kind, {"type": "contains", "value": "push the bone"}),
    ))


def test_every_registered_method_is_covered():
    assert {"static", "prior", "focal", "focal_prior", "focal_reference", "gdpo", "pow3r", "maxmin",
            "veto"} <= set(NAMES)


@pytest.mark.parametrize("sign_field", ["points", "weight"])
@pytest.mark.parametrize("kind", ["hard_rule", "principle"])
@pytest.mark.parametrize("name", NAMES)
def test_a_met_penalty_lowers_the_reward(name, kind, sign_field):
    reward = RubricReward(RulesJudge(), instantiate_method(name))
    rb = rubric(kind, sign_field).to_json()
    for step in range(3):  # stateful methods (EMA, frozen references) too, after they have seen the prompt
        texts = [GOOD, BAD, GOOD, BAD]
        rewards, _, _ = reward.score([f"p{step % 2}"] * 4, ["q"] * 4, [rb] * 4, texts)
        r = np.array(rewards, dtype=float)
        assert np.all(np.isfinite(r))
        assert r[0] > r[1] and r[2] > r[3], (name, kind, sign_field, step, r)

