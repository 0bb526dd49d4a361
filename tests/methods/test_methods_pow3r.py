"""Properties of the POW3R reward (methods/pow3r.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from methods.base import build_batch
from methods.pow3r import Pow3r, category_ids, group_contrast
from methods.prior import PriorWeights
from methods.static import Static
from tests.methods.methods_testutil import batch_for, random_groups, uniform_batch

seeds = st.integers(0, 2**32 - 1)
stats = st.sampled_from(["std", "range", "pairwise"])
mixes = st.sampled_from([0.3, 0.8, 0.95, 1.0])
emas = st.sampled_from([0.0, 0.5, 0.9])
FAST = settings(max_examples=40, deadline=None)
KINDS = ["hard_rule", "principle", "hard_rule", "principle", "principle"]


def _scores(rng, b, g, k):
    """Judge-like scores with contrast on every criterion (each column holds a 0 and a 1)."""
    s = rng.integers(0, 11, size=(b, g, k)) / 10
    s[:, 0, :], s[:, 1, :] = 0.0, 1.0
    return rng.permuted(s, axis=1)


def test_contrast_statistics_by_hand():
    # one group of 4 rollouts: a split hard rule, a constant one, a graded principle, one NaN
    s = np.array([[1, 1, 0.2], [0, 1, 0.4], [1, 1, 0.6], [0, np.nan, 0.8]])[None]
    valid = np.ones((1, 3), dtype=bool)
    c, obs = group_contrast(s, valid, "std")
    np.testing.assert_allclose(c[0], [0.5, 0.0, np.sqrt(0.05)])
    c, _ = group_contrast(s, valid, "range")
    np.testing.assert_allclose(c[0], [1.0, 0.0, 0.6])
    c, _ = group_contrast(s, valid, "pairwise")  # 8 of 12 ordered pairs disagree on the first
    np.testing.assert_allclose(c[0], [8 / 12, 0.0, (0.2 * 6 + 0.4 * 4 + 0.6 * 2) / 12])
    assert obs.all()
    # fewer scorable rollouts than min_rollouts: not observed, contrast 0
    s1 = np.array([[1.0, np.nan], [0.0, np.nan], [np.nan, 0.3]])[None]
    c, obs = group_contrast(s1, np.ones((1, 2), dtype=bool), "std", min_rollouts=2)
    assert obs[0].tolist() == [True, False] and c[0, 1] == 0.0


@FAST
@given(seeds, stats, mixes, emas, st.sampled_from(["none", "kind"]), st.sampled_from([0.0, 1.0, 0.6]))
def test_zero_contrast_gets_only_its_floor_share(seed, stat, mix, ema, category, const):
    rng = np.random.default_rng(seed)
    b, g, k = 3, 6, 5
    scores = _scores(rng, b, g, k)
    scores[:, :, 3] = const  # criterion 3 (a principle, like 1 and 4): every rollout agrees
    w0 = rng.dirichlet(np.ones(k), size=b)
    m = Pow3r(contrast=stat, ema=ema, mix=mix, category=category)
    for _ in range(2):  # first visit, and a second one with tracked state
        agg = m(uniform_batch(scores, kinds=KINDS, w0=w0))
        np.testing.assert_allclose(agg.weights[:, 3], (1 - mix) * w0[:, 3], rtol=1e-12, atol=1e-15)
        assert np.all(agg.weights[:, [1, 4]] > (1 - mix) * w0[:, [1, 4]])  # the rest took its share


@FAST
@given(seeds, stats, mixes, emas, st.sampled_from(["none", "kind", "tag"]), st.sampled_from([(0.0, 1.0), (0.1, 0.3)]))
def test_equal_contrast_everywhere_gives_base_weights(seed, stat, mix, ema, category, clip):
    rng = np.random.default_rng(seed)
    b, g, k = 4, 6, 5
    col = _scores(rng, b, g, 1)
    scores = np.concatenate([rng.permuted(col, axis=1) for _ in range(k)], axis=2)  # same values per column
    w0 = rng.dirichlet(np.ones(k), size=b)
    batch = build_batch(list(scores), list(w0), [KINDS] * b, [f"p{i}" for i in range(b)],
                        [[[f"axis:{'xyz'[j % 3]}"] for j in range(k)]] * b)
    m = Pow3r(contrast=stat, ema=ema, mix=mix, category=category, category_tag="axis:",
              clip_min=clip[0], clip_max=clip[1])
    for _ in range(2):
        np.testing.assert_allclose(m(batch).weights, w0, rtol=1e-12, atol=1e-15)


@FAST
@given(seeds, stats, mixes, emas)
def test_category_balance_preserved_when_asked(seed, stat, mix, ema):
    rng = np.random.default_rng(seed)
    groups = random_groups(rng, 8, 5, 1, 8, nan_p=0.15, all_nan_rows=1)
    pw = PriorWeights(source="rubric")  # unequal human weights
    by_kind = Pow3r(base_weights=pw, contrast=stat, ema=ema, mix=mix, category="kind")
    by_tag = Pow3r(base_weights=pw, contrast=stat, ema=ema, mix=mix, category="tag", category_tag="axis:")
    batch = batch_for(by_kind, groups)
    for m, cat in ((by_kind, np.where(batch.valid, batch.kinds, -1)), (by_tag, category_ids(batch, "tag", "axis:"))):
        w = m(batch).weights
        for c in range(int(cat.max()) + 1):
            mask = cat == c
            np.testing.assert_allclose((w * mask).sum(1), (batch.base_weights * mask).sum(1), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(w.sum(1), 1.0, rtol=1e-12)


def test_without_categories_the_balance_moves():
    """The balance test above can fail: with one category, contrast moves weight across kinds."""
    s = np.array([[1, 0.5, 0.5], [0, 0.5, 0.5], [1, 0.5, 0.5], [0, 0.5, 0.5]])[None]  # only the hard rule splits
    kinds = ["hard_rule", "principle", "principle"]
    w_none = Pow3r(ema=0.0, category="none")(uniform_batch(s, kinds=kinds)).weights[0]
    w_kind = Pow3r(ema=0.0, category="kind")(uniform_batch(s, kinds=kinds)).weights[0]
    assert w_none[0] > 0.9 and w_none[1:].sum() < 0.1
    np.testing.assert_allclose(w_kind, [1 / 3, 1 / 3, 1 / 3])  # each kind keeps its third; no principle splits


@FAST
@given(seeds, stats, mixes, emas, st.sampled_from(["none", "kind", "tag"]))
def test_permuting_criteria_permutes_weights(seed, stat, mix, ema, category):
    rng = np.random.default_rng(seed)
    b, g, k = 3, 5, 6
    scores = rng.integers(0, 11, size=(b, g, k)) / 10
    scores[rng.random(scores.shape) < 0.1] = np.nan
    kinds = [["hard_rule" if x else "principle" for x in rng.random(k) < 0.5] for _ in range(b)]
    tags = [[[f"axis:{rng.integers(3)}"] for _ in range(k)] for _ in range(b)]
    w0 = rng.dirichlet(np.ones(k), size=b)
    perm = rng.permutation(k)
    keys = [f"p{i}" for i in range(b)]

    def run(s, w, kd, tg):
        m = Pow3r(contrast=stat, ema=ema, mix=mix, category=category, category_tag="axis:")
        m(build_batch(list(s), list(w), kd, keys, tg))  # a first visit, so tracked state is used too
        return m(build_batch(list(s[:, ::-1]), list(w), kd, keys, tg))

    a = run(scores, w0, kinds, tags)
    p = run(scores[:, :, perm], w0[:, perm], [[kd[j] for j in perm] for kd in kinds],
            [[tg[j] for j in perm] for tg in tags])
    np.testing.assert_allclose(p.weights, a.weights[:, perm], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p.rewards, a.rewards, rtol=1e-12, atol=1e-15)


@FAST
@given(seeds, stats)
def test_state_survives_a_checkpoint_round_trip(seed, stat):
    rng = np.random.default_rng(seed)
    m = Pow3r(contrast=stat, ema=0.7)
    groups = random_groups(rng, 6, 4, 2, 7, nan_p=0.1)
    for _ in range(3):
        groups = [(rng.permuted(s, axis=0) * (rng.random(s.shape) < 0.8), r) for s, r in groups]
        m(batch_for(m, groups))
    fresh = Pow3r(contrast=stat, ema=0.7)
    fresh.load_state_dict(json.loads(json.dumps(m.state_dict())))  # what a checkpoint does to it
    assert json.dumps(fresh.state_dict()) == json.dumps(m.state_dict())  # NaN = never observed
    nxt = [(rng.random(s.shape).round(1), r) for s, r in groups]
    a, b = m(batch_for(m, nxt)), fresh(batch_for(fresh, nxt))
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.rewards, b.rewards, equal_nan=True)
    cold = Pow3r(contrast=stat, ema=0.7)(batch_for(m, nxt))  # and the state mattered
    assert not np.allclose(cold.weights, a.weights)


def test_ema_across_visits_by_hand():
    m = Pow3r(ema=0.5, mix=1.0, category="none")
    split, half = np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[1.0, 0.0], [1.0, 0.0]])
    kinds = ["hard_rule", "hard_rule"]
    w = m(uniform_batch(split[None], kinds=kinds)).weights[0]  # contrasts (0.5, 0): all weight on the first
    np.testing.assert_allclose(w, [1.0, 0.0])
    w = m(uniform_batch(half[None], kinds=kinds)).weights[0]  # now (0, 0): EMA keeps (0.25, 0)
    np.testing.assert_allclose(w, [1.0, 0.0])
    np.testing.assert_allclose(m.state_dict()["contrast"]["p0"], [0.25, 0.0])
    nan2 = np.array([[np.nan, 1.0], [np.nan, 0.0]])  # first unscorable: unchanged; second 0.5 now
    w = m(uniform_batch(nan2[None], kinds=kinds)).weights[0]
    np.testing.assert_allclose(m.state_dict()["contrast"]["p0"], [0.25, 0.25])
    np.testing.assert_allclose(w, [0.5, 0.5])
    # a rubric that changed size starts over
    m(uniform_batch(np.zeros((1, 2, 3)), kinds=kinds + ["principle"]))
    np.testing.assert_allclose(m.state_dict()["contrast"]["p0"], [0.0, 0.0, 0.0])


def test_more_contrast_more_weight_and_clip():
    s = np.array([[1, 1, 0.8], [0, 1, 0.6], [1, 0, 0.8], [0, 1, 0.6]])[None]  # contrasts 0.5, 0.433, 0.1
    kinds = ["principle"] * 3
    w = Pow3r(ema=0.0, mix=1.0)(uniform_batch(s, kinds=kinds)).weights[0]
    assert w[0] > w[1] > w[2] > 0
    np.testing.assert_allclose(w, np.array([0.5, np.sqrt(3) / 4, 0.1]) / (0.6 + np.sqrt(3) / 4))
    w = Pow3r(ema=0.0, mix=1.0, clip_max=0.4)(uniform_batch(s, kinds=kinds)).weights[0]
    np.testing.assert_allclose(w, np.array([0.4, 0.4, 0.1]) / 0.9)  # above the clip counts the same


@FAST
@given(seeds, emas)
def test_mix_zero_is_static_and_prior_exactly(seed, ema):
    rng = np.random.default_rng(seed)
    groups = random_groups(rng, 6, 5, 1, 7, nan_p=0.15, all_nan_rows=1)
    for bw in (None, PriorWeights(source="rubric")):
        p, s = Pow3r(base_weights=bw, mix=0.0, ema=ema), Static(base_weights=bw)
        batch = batch_for(s, groups)
        for _ in range(2):
            a, b = p(batch), s(batch)
            assert np.array_equal(a.rewards, b.rewards, equal_nan=True)
            assert np.array_equal(a.weights, b.weights)


def test_zero_human_weight_stays_zero():
    s = np.array([[1, 0.0], [0, 1.0]])[None]
    w = Pow3r(ema=0.0, category="none")(uniform_batch(s, w0=[[1.0, 0.0]])).weights[0]
    np.testing.assert_allclose(w, [1.0, 0.0])


@pytest.mark.parametrize("kwargs", [{"ema": 1.0}, {"mix": 1.5}, {"clip_min": 0.5, "clip_max": 0.2},
                                    {"contrast": "var"}, {"category": "axis"}, {"min_rollouts": 0}])
def test_bad_settings_fail_early(kwargs):
    with pytest.raises(ValueError, match="pow3r"):
        Pow3r(**kwargs)


@pytest.mark.parametrize("override", ["contrast=sdt", "category=kinds", "mix=abc"])
def test_choices_are_typed_at_compose_time(override):
    from harness.compose import compose_method

    with pytest.raises(Exception, match=override.split("=")[0]):
        compose_method("pow3r", [override])


def test_yaml_matches_the_defaults():
    """The YAML is the documented default: instantiating it equals the class defaults."""
    from harness.compose import instantiate_method

    m, d = instantiate_method("pow3r"), Pow3r()
    for attr in ("contrast", "ema", "mix", "clip_min", "clip_max", "category", "category_tag", "min_rollouts"):
        assert getattr(m, attr) == getattr(d, attr), attr
