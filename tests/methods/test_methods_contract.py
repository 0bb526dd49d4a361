"""Every conf/method/*.yaml, composed with Hydra and instantiated, passes the same checks.

Adding a method = one module under methods/ + one conf/method/<name>.yaml; this file
picks the YAML up automatically. Composition goes through the root conf/config.yaml
(``method=<name>``) when it exists, else through the method file on its own.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.compose import CONF_DIR, compose_method, method_names
from methods.base import Aggregate, BaseWeights, Method, build_batch
from methods.diagnostics import rollout_weights, summarize
from tests.methods.methods_testutil import batch_for, make_rubric, random_groups

NAMES = method_names()
_CFG: dict[str, object] = {}


def instantiate_method(name):
    """Compose once per method (Hydra compose is the slow part), instantiate fresh every time."""
    from hydra.utils import instantiate

    if name not in _CFG:
        _CFG[name] = compose_method(name)
    return instantiate(_CFG[name])


def test_expected_methods_present():
    assert {"static", "prior", "focal", "focal_prior", "gdpo", "maxmin", "veto"} <= set(NAMES)


def test_root_config_mode():
    """Documents which composition path the contract used (root config once the lead adds it)."""
    cfg = compose_method("static")
    assert cfg._target_ == "methods.static.Static"
    assert (CONF_DIR / "config.yaml").is_file() or compose_method("static", root=False) == cfg


def _steps(name, seed=0, steps=3):
    m = instantiate_method(name)
    rng = np.random.default_rng(seed)
    outs = []
    first = random_groups(rng, 7, 4, 1, 9, nan_p=0.25, all_nan_rows=2)
    for step in range(steps):
        groups = random_groups(rng, 7, 4, 1, 9, nan_p=0.25, all_nan_rows=2)
        # odd keys recur across steps with their rubric (and reshuffled scores), like epochs
        for i in range(1, len(groups), 2):
            s0, r0 = first[i]
            groups[i] = (rng.permuted(s0, axis=0) if step else s0, r0)
        keys = [f"p{i}" if i % 2 else f"s{step}-p{i}" for i in range(len(groups))]
        batch = batch_for(m, groups, keys)
        outs.append((batch, m(batch)))
    return m, outs


@pytest.mark.parametrize("name", NAMES)
def test_contract(name):
    m, outs = _steps(name)
    assert isinstance(m, Method) and isinstance(m.base_weights, BaseWeights)
    for batch, agg in outs:
        b, g, k = batch.shape
        assert isinstance(agg, Aggregate)
        assert agg.rewards.shape == (b, g) and agg.weights.shape == (b, k)
        assert agg.saturation is None or agg.saturation.shape == (b, k)
        assert agg.rollout_weights is None or agg.rollout_weights.shape == (b, g, k)
        # base weights as the trainer builds them: non-negative, sum 1 over valid, 0 on padding
        np.testing.assert_allclose(batch.base_weights.sum(1), 1.0, rtol=1e-12)
        assert np.all(batch.base_weights >= 0)
        # method weights: finite, non-negative, 0 on padding, sum 1 over valid criteria
        assert np.all(np.isfinite(agg.weights)) and np.all(agg.weights >= 0)
        assert np.all(agg.weights[~batch.valid] == 0)
        np.testing.assert_allclose(agg.weights.sum(1), 1.0, rtol=1e-9)
        # NaN: all-unscorable rows -> NaN (-> None), every other row finite
        all_nan = np.isnan(batch.scores).all(-1)
        assert all_nan.any()
        assert np.all(np.isnan(agg.rewards[all_nan]))
        assert np.all(np.isfinite(agg.rewards[~all_nan]))
        # diagnostics work for every method and are plain floats with flat keys
        d = summarize(batch, agg)
        assert all(isinstance(k_, str) and isinstance(v, float) for k_, v in d.items())
        assert {"reward/mean", "weight/hard_rule", "weight/principle", "weight/entropy"} <= set(d)
        assert "weight/tag/axis:a" in d and "satisfaction/tag/axis:b" in d
        if agg.saturation is not None:
            assert "saturation/hard_rule" in d and "saturation/tag/axis:a" in d
        rw = rollout_weights(batch, agg)
        sizes = batch.valid.sum(1)
        assert len(rw) == b * g
        for i, row in enumerate(rw):
            assert len(row) == sizes[i // g]
            assert math.isclose(sum(row), 1.0, rel_tol=1e-9) or sum(row) == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_deterministic(name):
    _, a = _steps(name, seed=5)
    _, b = _steps(name, seed=5)
    for (_, x), (_, y) in zip(a, b, strict=True):
        assert np.array_equal(x.rewards, y.rewards, equal_nan=True)
        assert np.array_equal(x.weights, y.weights)


@pytest.mark.parametrize("name", NAMES)
def test_padding_and_batch_composition_do_not_change_rewards(name):
    """A group's rewards do not depend on which other groups (of other widths) share the call."""
    rng = np.random.default_rng(11)
    groups = random_groups(rng, 5, 6, 1, 8, nan_p=0.2, all_nan_rows=1)
    m_all = instantiate_method(name)
    together = m_all(batch_for(m_all, groups))
    for i, grp in enumerate(groups):
        m_one = instantiate_method(name)
        alone = m_one(batch_for(m_one, [grp], keys=[f"p{i}"]))
        k = grp[0].shape[1]
        np.testing.assert_allclose(alone.rewards[0], together.rewards[i], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(alone.weights[0, :k], together.weights[i, :k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_single_rollout_and_single_criterion(name):
    m = instantiate_method(name)
    r = make_rubric(["hard_rule"])
    w0 = m.base_weights("solo", "q", r)
    for s in (0.0, 1.0):
        agg = m(build_batch([np.array([[s]])], [w0], [r.kinds], ["solo"]))
        assert agg.rewards.shape == (1, 1) and np.isfinite(agg.rewards).all()


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_roundtrip(name):
    m, _ = _steps(name)
    fresh = instantiate_method(name)
    fresh.load_state_dict(m.state_dict())
    rng = np.random.default_rng(99)
    groups = random_groups(rng, 7, 4, 1, 9)
    keys = [f"new{i}" for i in range(len(groups))]
    a, b = m(batch_for(m, groups, keys)), fresh(batch_for(fresh, groups, keys))
    assert np.array_equal(a.rewards, b.rewards, equal_nan=True)


@pytest.mark.parametrize("name", NAMES)
def test_schema_rejects_typos_at_compose_time(name, tmp_path):
    with pytest.raises(Exception, match="(?i)gama"):
        compose_method(name, ["gama=1"])
    if name == "focal":  # wrong types too
        with pytest.raises(Exception, match="(?i)gamma"):
            compose_method(name, ["gamma=abc"])
    # a typo inside the YAML itself is caught by the @component schema, before any training starts
    (tmp_path / "method").mkdir()
    for other in (CONF_DIR / "method").glob("*.yaml"):  # a YAML may build on another (prior on static)
        (tmp_path / "method" / other.name).write_text(other.read_text())
    text = (CONF_DIR / "method" / f"{name}.yaml").read_text()
    (tmp_path / "method" / f"{name}.yaml").write_text(text + "\ngama_typo: 1\n")
    with pytest.raises(Exception, match="(?i)gama_typo"):
        compose_method(name, root=False, conf_dir=tmp_path)
