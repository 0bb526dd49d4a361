import numpy as np
import pytest

from core.rubric import Criterion, Rubric
from harness.compose import instantiate_method
from methods.base import ScoreBatch
from methods.boost import TagBoost, boosted_weights


def _rubric(tags):
    return Rubric(criteria=[Criterion(text=f"c{i}", kind="hard_rule", tags=t) for i, t in enumerate(tags)])


def test_the_tagged_criterion_weighs_factor_times_the_others():
    w = boosted_weights(_rubric([["crit:a"], ["crit:b"], ["crit:c"]]), "crit:b", 5.0)
    np.testing.assert_allclose(w, [1 / 7, 5 / 7, 1 / 7])


def test_without_the_tag_the_weights_are_uniform():
    w = TagBoost("crit:z", 5.0)("k", "q", _rubric([["crit:a"], ["crit:b"]]))
    np.testing.assert_allclose(w, [0.5, 0.5])


def test_factor_must_be_positive():
    with pytest.raises(ValueError, match="factor must be positive"):
        TagBoost("crit:a", 0.0)


def test_static_boost_rewards_the_boosted_criterion_more():
    """The positive control's reward: meeting the boosted criterion alone beats meeting another one alone."""
    method = instantiate_method("static_boost", ["base_weights.tag=crit:b"])
    rubric = _rubric([["crit:a"], ["crit:b"], ["crit:c"]])
    w0 = method.base_weights("k", "q", rubric)
    scores = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])  # one group, two rollouts
    batch = ScoreBatch(scores=scores, valid=np.ones((1, 3), bool), base_weights=w0[None],
                       kinds=np.zeros((1, 3), dtype=int), keys=("k",))
    rewards = method(batch).rewards[0]
    assert rewards[1] == pytest.approx(5 * rewards[0])
