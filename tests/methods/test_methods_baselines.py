"""gdpo, maxmin, veto and prior-weight validation against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.rubric import Criterion, Rubric
from methods.gdpo import GDPO, group_zscores
from methods.maxmin import MaxMin
from methods.prior import PriorWeights, rubric_weights, validate_llm_weights
from methods.static import Static
from methods.veto import Veto
from tests.methods.methods_testutil import make_rubric, uniform_batch

nan = np.nan


# ----------------------------------------------------------------------------- gdpo


def test_gdpo_by_hand():
    scores = np.array([[[1, 0.5], [0, 0.5], [1, 0.5], [nan, 0.5]]])
    agg = GDPO()(uniform_batch(scores, w0=[[0.25, 0.75]]))
    z = 1 / 3 / math.sqrt(2 / 9)  # (1 - 2/3) / population std of [1, 0, 1]
    np.testing.assert_allclose(agg.rewards[0], [0.25 * z, -0.25 * 2 * z, 0.25 * z, 0.0])
    np.testing.assert_allclose(agg.weights, [[0.25, 0.75]])


def test_gdpo_zero_std_and_nan():
    z = group_zscores(np.array([[[1.0, nan], [1.0, nan], [1.0, 2.0]]]))
    np.testing.assert_array_equal(z[0, :, 0], [0, 0, 0])
    assert np.isnan(z[0, 0, 1]) and z[0, 2, 1] == 0
    agg = GDPO()(uniform_batch(np.array([[[nan, nan], [1.0, 0.0]]])))
    assert np.isnan(agg.rewards[0, 0]) and agg.rewards[0, 1] == 0


# ----------------------------------------------------------------------------- maxmin


def test_hard_min_by_hand():
    scores = np.array([[[1, 0.3, nan], [nan, nan, nan], [0.6, 0.6, 0.9]]])
    agg = MaxMin(tau=0.0)(uniform_batch(scores))
    np.testing.assert_allclose(agg.rewards[0], [0.3, nan, 0.6])
    np.testing.assert_allclose(agg.rollout_weights[0], [[0, 1, 0], [0, 0, 0], [0.5, 0.5, 0]])
    np.testing.assert_allclose(agg.weights[0], [0.25, 0.75, 0])  # group average of the two scorable rows


def test_hard_min_ignores_zero_weight_criteria():
    agg = MaxMin()(uniform_batch(np.array([[[0.0, 0.7, 0.9]]]), w0=[[0.0, 0.5, 0.5]]))
    assert agg.rewards[0, 0] == pytest.approx(0.7)


def test_soft_min_by_hand_and_limits():
    scores = np.array([[[1.0, 0.0], [0.4, nan]]])
    agg = MaxMin(tau=0.5)(uniform_batch(scores))
    expect = -0.5 * math.log(0.5 * math.exp(-2) + 0.5 * math.exp(0))
    np.testing.assert_allclose(agg.rewards[0], [expect, 0.4])
    g = np.array([0.5 * math.exp(-2), 0.5]) / (0.5 * math.exp(-2) + 0.5)
    np.testing.assert_allclose(agg.rollout_weights[0, 0], g)
    # tau -> 0: hard min; tau -> inf: static weighted mean
    rng = np.random.default_rng(0)
    s = rng.random((4, 5, 6))
    batch = uniform_batch(s)
    np.testing.assert_allclose(MaxMin(tau=1e-4)(batch).rewards, s.min(-1), atol=1e-3)
    np.testing.assert_allclose(MaxMin(tau=1e4)(batch).rewards, Static()(batch).rewards, atol=1e-4)


# ----------------------------------------------------------------------------- veto


def test_veto_by_hand():
    scores = np.array([[[1, 0.2, 1], [0, 1, 1], [nan, 0.5, 1], [nan, nan, nan], [1, 0.0, 0]]])
    kinds = ["hard_rule", "principle", "hard_rule"]
    agg = Veto(floor_reward=-1.0)(uniform_batch(scores, kinds=kinds))
    np.testing.assert_allclose(agg.rewards[0], [2.2 / 3, -1.0, 0.75, nan, -1.0])
    assert agg.extras["veto/rate"] == pytest.approx(2 / 4)
    assert np.all(agg.rollout_weights[0, 1] == 0)
    np.testing.assert_allclose(agg.rollout_weights[0, 2], [0, 0.5, 0.5])
    # a failed principle never vetoes
    agg = Veto()(uniform_batch(np.array([[[0.0, 1.0]]]), kinds=["principle", "hard_rule"]))
    assert agg.rewards[0, 0] == pytest.approx(0.5)


# ----------------------------------------------------------------------------- prior


def test_rubric_weights_abs_and_points():
    r = make_rubric(["hard_rule", "hard_rule", "principle"], [2.0, -1.0, 1.0])
    np.testing.assert_allclose(rubric_weights(r), [0.5, 0.25, 0.25])
    pts = Rubric(
        criteria=(
            Criterion(text="a", kind="principle", points=3),
            Criterion(text="b", kind="principle", points=-1),
        )
    )
    np.testing.assert_allclose(rubric_weights(pts), [0.75, 0.25])
    partial = Rubric(
        criteria=(Criterion(text="a", kind="principle", weight=3), Criterion(text="b", kind="principle"))
    )
    assert rubric_weights(partial) is None
    pw = PriorWeights(source="rubric")
    np.testing.assert_allclose(pw("k", "q", partial), [0.5, 0.5])
    np.testing.assert_allclose(pw("k2", "q", r), [0.5, 0.25, 0.25])
    assert pw.stats() == {"prior/w0/rubric": 1.0, "prior/w0/uniform": 1.0}
    np.testing.assert_allclose(PriorWeights(source="uniform")("k", "q", r), [1 / 3] * 3)


@pytest.mark.parametrize(
    ("raw", "expect", "status"),
    [
        ([0.2, 0.3, 0.5], [0.2, 0.3, 0.5], "ok"),
        ([2, 3, 5], [0.2, 0.3, 0.5], "repaired"),
        ([0, 0, 1], [0, 0, 1], "ok"),
        (None, None, "unparsed"),
        ({"weights": [1, 1, 1]}, None, "type"),
        ([0.5, 0.5], None, "length"),
        ([0.5, "0.2", 0.3], None, "type"),
        ([0.5, True, 0.3], None, "type"),
        ([0.5, float("nan"), 0.3], None, "type"),
        ([0.5, float("inf"), 0.3], None, "type"),
        ([0.7, -0.2, 0.5], None, "negative"),
        ([0, 0, 0], None, "zero_sum"),
    ],
)
def test_validate_llm_weights(raw, expect, status):
    w, got = validate_llm_weights(raw, 3)
    assert got == status
    if expect is None:
        assert w is None
    else:
        np.testing.assert_allclose(w, expect)
        assert w.sum() == pytest.approx(1.0, abs=1e-12)


class FakePriorJudge:
    """Stands in for OpenAIJudge.prior_weights: returns canned raw lists per question, counts calls."""

    def __init__(self, replies: dict[str, object]):
        self.replies, self.calls = replies, []

    def prior_weights(self, items):
        self.calls.append([q for q, _ in items])
        return [self.replies[q] for q, _ in items]


def test_llm_prior_validation_repair_fallback_and_stats():
    weighted = make_rubric(["hard_rule", "principle"], [3.0, -1.0])
    plain = make_rubric(["hard_rule", "principle"])
    judge = FakePriorJudge(
        {"ok": [0.9, 0.1], "rep": [1, 3], "neg": [1.2, -0.2], "none": None, "short": [1.0], "neg2": [-1, 2]}
    )
    pw = PriorWeights(source="llm", judge=judge)
    pw.precompute([("a", "ok", plain), ("b", "rep", plain), ("c", "neg", weighted), ("d", "none", plain)])
    assert judge.calls == [["ok", "rep", "neg", "none"]]  # one batched call
    np.testing.assert_allclose(pw("a", "ok", plain), [0.9, 0.1])
    np.testing.assert_allclose(pw("b", "rep", plain), [0.25, 0.75])
    np.testing.assert_allclose(pw("c", "neg", weighted), [0.75, 0.25])  # fell back to |rubric weights|
    np.testing.assert_allclose(pw("d", "none", plain), [0.5, 0.5])  # then to uniform
    np.testing.assert_allclose(pw("e", "short", weighted), [0.75, 0.25])
    np.testing.assert_allclose(pw("e", "short", weighted), [0.75, 0.25])  # memoized
    assert judge.calls == [["ok", "rep", "neg", "none"], ["short"]]
    pw("f", "neg2", plain)
    assert pw.stats() == {
        "prior/llm_fallback/length": 1.0,
        "prior/llm_fallback/negative": 2.0,
        "prior/llm_fallback/unparsed": 1.0,
        "prior/llm_repaired": 1.0,
        "prior/w0/llm": 2.0,
        "prior/w0/rubric": 2.0,
        "prior/w0/uniform": 2.0,
    }
    # the counters reach every step's extras through Method.__call__
    batch = uniform_batch(np.array([[[1.0, 0.0]]]), w0=[pw("a", "ok", plain)])
    agg = Static(base_weights=pw)(batch)
    assert agg.extras["prior/w0/llm"] == 2.0
    assert agg.rewards[0, 0] == pytest.approx(0.9)


def test_llm_prior_needs_a_judge_and_valid_source():
    with pytest.raises(ValueError):
        PriorWeights(source="llm")
    with pytest.raises(ValueError):
        PriorWeights(source="gpt")


def test_llm_prior_judge_errors_propagate():
    class Broken:
        def prior_weights(self, items):
            raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        PriorWeights(source="llm", judge=Broken())("k", "q", make_rubric(["principle"]))
