"""Properties of the focal reward (methods/focal.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from methods.base import BaseWeights, build_batch
from methods.focal import Focal
from methods.prior import PriorWeights
from methods.static import Static
from tests.methods.methods_testutil import batch_for, random_groups, uniform_batch

seeds = st.integers(0, 2**32 - 1)
gammas = st.sampled_from([0.5, 1.0, 2.0, 5.0])
floors = st.sampled_from([0.0, 0.05, 0.3, 1.0])
FAST = settings(max_examples=40, deadline=None)


def _batch(seed, method, b=6, g=5, kmin=1, kmax=7, nan_p=0.15, all_nan_rows=1):
    rng = np.random.default_rng(seed)
    return batch_for(method, random_groups(rng, b, g, kmin, kmax, nan_p, all_nan_rows))


@FAST
@given(seeds, st.sampled_from([0.0, 0.5]), st.sampled_from(["group", "reference"]))
def test_gamma_zero_is_static_exactly(seed, ema, mode):
    f, s = Focal(gamma=0.0, ema=ema, mode=mode), Static()
    batch = _batch(seed, s)
    for _ in range(2):  # also after state exists
        a, b = f(batch), s(batch)
        assert np.array_equal(a.rewards, b.rewards, equal_nan=True)
        assert np.array_equal(a.weights, b.weights)


@FAST
@given(seeds)
def test_focal_prior_gamma_zero_is_prior_exactly(seed):
    pw = PriorWeights(source="rubric")
    f, s = Focal(base_weights=pw, gamma=0.0), Static(base_weights=pw)
    batch = _batch(seed, s)
    a, b = f(batch), s(batch)
    assert np.array_equal(a.rewards, b.rewards, equal_nan=True)
    assert np.array_equal(a.weights, b.weights)


def test_focal_prior_gamma_zero_via_configs():
    from harness.compose import instantiate_method

    fp, pr = instantiate_method("focal_prior", ["gamma=0"]), instantiate_method("prior")
    groups = random_groups(np.random.default_rng(3), 8, 4, 2, 6)
    a, b = fp(batch_for(fp, groups)), pr(batch_for(pr, groups))
    assert np.array_equal(a.rewards, b.rewards, equal_nan=True)
    assert np.array_equal(a.weights, b.weights)


@FAST
@given(seeds, gammas, floors)
def test_equal_saturation_gives_base_weights(seed, gamma, floor):
    rng = np.random.default_rng(seed)
    b, g, k = 4, 6, 5
    col = rng.integers(0, 11, size=(b, g, 1)) / 10
    scores = np.concatenate([rng.permuted(col, axis=1) for _ in range(k)], axis=2)  # same column sums
    w0 = rng.dirichlet(np.ones(k), size=b)
    batch = uniform_batch(scores, w0=w0)
    agg = Focal(gamma=gamma, floor=floor)(batch)
    np.testing.assert_allclose(agg.weights, w0, rtol=1e-12, atol=1e-15)


@FAST
@given(seeds, gammas, st.sampled_from([0.0, 0.05, 0.5]))
def test_more_saturation_less_relative_weight(seed, gamma, floor):
    rng = np.random.default_rng(seed)
    b, g, k = 3, 8, 4
    scores = (rng.random((b, g, k)) < 0.4).astype(float)
    scores[:, 0, 0] = 0.0  # room to raise criterion 0
    w0 = rng.dirichlet(np.ones(k), size=b)
    before = Focal(gamma=gamma, floor=floor)(uniform_batch(scores, w0=w0)).weights
    raised = scores.copy()
    raised[:, 0, 0] = 1.0
    after = Focal(gamma=gamma, floor=floor)(uniform_batch(raised, w0=w0)).weights
    assert np.all(after[:, 0] / after[:, 1:].sum(1) < before[:, 0] / before[:, 1:].sum(1))
    assert np.all(after[:, 0] < before[:, 0])
    if floor == 0.0:  # without the w0 mixture the others keep their relative proportions
        np.testing.assert_allclose(after[:, 1:] / after[:, 1:2], before[:, 1:] / before[:, 1:2], rtol=1e-9)


@FAST
@given(seeds, gammas, floors)
def test_permuting_criteria_permutes_weights(seed, gamma, floor):
    rng = np.random.default_rng(seed)
    groups = random_groups(rng, 5, 6, 2, 6, nan_p=0.2)
    pw = PriorWeights(source="rubric")
    m = Focal(base_weights=pw, gamma=gamma, floor=floor)
    batch = batch_for(m, groups)
    agg = Focal(base_weights=pw, gamma=gamma, floor=floor)(batch)
    perms = [rng.permutation(s.shape[1]) for s, _ in groups]
    pbatch = build_batch(
        [s[:, p] for (s, _), p in zip(groups, perms, strict=True)],
        [batch.base_weights[i, : len(p)][p] for i, p in enumerate(perms)],
        [[r.kinds[j] for j in p] for (_, r), p in zip(groups, perms, strict=True)],
        batch.keys,
    )
    pagg = Focal(base_weights=pw, gamma=gamma, floor=floor)(pbatch)
    for i, p in enumerate(perms):
        np.testing.assert_allclose(pagg.weights[i, : len(p)], agg.weights[i, : len(p)][p], rtol=1e-12)
    np.testing.assert_allclose(pagg.rewards, agg.rewards, rtol=1e-12, atol=1e-15)


@FAST
@given(seeds, gammas, floors, st.sampled_from([0.0, 0.9]), st.sampled_from(["group", "reference"]))
def test_weights_sum_to_one_and_respect_floor(seed, gamma, floor, ema, mode):
    pw = PriorWeights(source="rubric")
    m = Focal(base_weights=pw, gamma=gamma, floor=floor, ema=ema, mode=mode)
    for step in range(3):
        batch = _batch(seed + step, m, nan_p=0.3)
        agg = m(batch)
        w = agg.weights
        np.testing.assert_allclose(np.where(batch.valid, w, 0).sum(1), 1.0, rtol=1e-12)
        assert np.all(w[~batch.valid] == 0)
        assert np.all(w[batch.valid] >= floor * batch.base_weights[batch.valid] - 1e-15)
        assert np.all((agg.saturation[batch.valid] > 0) & (agg.saturation[batch.valid] < 1))
        assert np.all(np.isnan(agg.saturation[~batch.valid]))


@FAST
@given(seeds, gammas, st.sampled_from([0.0, 0.9]), st.sampled_from(["group", "reference"]))
def test_nan_handling(seed, gamma, ema, mode):
    m = Focal(gamma=gamma, ema=ema, mode=mode)
    batch = _batch(seed, m, nan_p=0.4, all_nan_rows=3)
    agg = m(batch)
    all_nan = np.isnan(batch.scores).all(axis=-1)
    assert np.all(np.isnan(agg.rewards[all_nan]))
    assert np.all(np.isfinite(agg.rewards[~all_nan]))
    assert np.all((agg.rewards[~all_nan] >= 0) & (agg.rewards[~all_nan] <= 1 + 1e-12))
    assert np.all(np.isfinite(agg.weights))


def test_saturation_formula_by_hand():
    scores = np.array([[[1.0, 0.5], [0.0, np.nan], [1.0, 0.2]]])  # G=3, K=2
    agg = Focal(gamma=1.0, a=1.0, b=1.0, floor=0.0)(uniform_batch(scores))
    s = np.array([(2 + 1) / (3 + 2), (0.7 + 1) / (2 + 2)])
    np.testing.assert_allclose(agg.saturation[0], s)
    w = (1 - s) / (1 - s).sum()
    np.testing.assert_allclose(agg.weights[0], w)
    r1 = w[0] * 1 + w[1] * 0.5
    np.testing.assert_allclose(agg.rewards[0], [r1, 0.0, w[0] * 1 + w[1] * 0.2])
    # floor as a mixture with w0
    agg = Focal(gamma=1.0, floor=0.2)(uniform_batch(scores))
    np.testing.assert_allclose(agg.weights[0], 0.8 * w + 0.2 * 0.5)


def test_ema_tracks_across_steps():
    m = Focal(gamma=2.0, ema=0.75, a=0.0, b=0.0)
    s1 = np.array([[[1.0, 0.0], [1.0, 0.0]]])  # saturation (1, 0)
    s2 = np.array([[[0.0, 1.0], [0.0, np.nan]]])  # group estimate (0, 1)
    s3 = np.array([[[np.nan, 1.0], [np.nan, 1.0]]])  # criterion 0 unscorable this step
    np.testing.assert_allclose(m(uniform_batch(s1)).saturation[0], [1.0, 0.0])
    np.testing.assert_allclose(m(uniform_batch(s2)).saturation[0], [0.75, 0.25])
    np.testing.assert_allclose(m(uniform_batch(s3)).saturation[0], [0.75, 0.75 * 0.25 + 0.25])
    # another prompt has its own state
    np.testing.assert_allclose(m(uniform_batch(s2, keys=["other"])).saturation[0], [0.0, 1.0])
    state = m.state_dict()
    m2 = Focal(gamma=2.0, ema=0.75, a=0.0, b=0.0)
    m2.load_state_dict(state)
    a, b = m(uniform_batch(s1)), m2(uniform_batch(s1))
    np.testing.assert_array_equal(a.saturation, b.saturation)


def test_reference_frozen_after_first_sight():
    m = Focal(gamma=2.0, mode="reference", ema=0.5)
    first = np.array([[[1.0, np.nan, 0.0], [1.0, np.nan, 0.0]]])
    later = np.array([[[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]])
    a = m(uniform_batch(first))
    ref = np.array([3 / 4, 0.5, 1 / 4])  # criterion 1 not yet scored: prior mean, not frozen
    np.testing.assert_allclose(a.saturation[0], ref)
    b = m(uniform_batch(later))
    np.testing.assert_allclose(b.saturation[0], [3 / 4, 3 / 4, 1 / 4])  # 1 frozen now, 0 and 2 kept
    c = m(uniform_batch(first))
    np.testing.assert_allclose(c.saturation[0], [3 / 4, 3 / 4, 1 / 4])
    np.testing.assert_array_equal(b.weights, c.weights)
    # a fresh key is measured on its own first group
    d = m(uniform_batch(later, keys=["new"]))
    np.testing.assert_allclose(d.saturation[0], [1 / 4, 3 / 4, 3 / 4])


def test_gamma_limit_and_no_focus_when_all_saturated():
    scores = np.ones((1, 4, 3))
    agg = Focal(gamma=2.0, a=0.0, b=0.0, floor=0.0)(uniform_batch(scores))  # s = 1 everywhere
    np.testing.assert_allclose(agg.weights[0], 1 / 3)
    np.testing.assert_allclose(agg.rewards, 1.0)


@pytest.mark.parametrize(
    "kwargs", [{"gamma": -1}, {"ema": 1.0}, {"mode": "frozen"}, {"floor": 1.5}, {"a": -1}]
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        Focal(**kwargs)


def test_uniform_base_weights_class_is_default():
    assert type(Focal().base_weights) is BaseWeights
