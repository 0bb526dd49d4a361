"""Shared batch builders for the method tests (not a test module)."""

from __future__ import annotations

import numpy as np

from core.rubric import Criterion, Rubric
from methods.base import ScoreBatch, build_batch


def make_rubric(
    kinds: list[str], weights: list[float] | None = None, tags: list[list[str]] | None = None
) -> Rubric:
    items = []
    for k, kind in enumerate(kinds):
        items.append(
            Criterion(
                text=f"criterion {k}",
                kind=kind,
                weight=None if weights is None else weights[k],
                tags=tuple(tags[k]) if tags else (),
            )
        )
    return Rubric(criteria=tuple(items))


def random_groups(
    rng: np.random.Generator, b: int, g: int, kmin: int, kmax: int, nan_p: float = 0.1, all_nan_rows: int = 0
):
    """Per-group (scores (G, K_b), rubric) with judge-like scores: hard rules 0/1, principles n/10."""
    groups = []
    for _ in range(b):
        k = int(rng.integers(kmin, kmax + 1))
        kinds = ["hard_rule" if x else "principle" for x in rng.random(k) < 0.4]
        s = np.empty((g, k))
        for j, kind in enumerate(kinds):
            p = rng.random()
            s[:, j] = (rng.random(g) < p) if kind == "hard_rule" else rng.binomial(10, p, g) / 10
        s[rng.random((g, k)) < nan_p] = np.nan
        weights = None
        if rng.random() < 0.5:
            weights = [float(x) for x in np.round(rng.uniform(-5, 10, k), 1)]
            weights = [w if w != 0 else 1.0 for w in weights]
        tags = [[f"axis:{'ab'[j % 2]}"] for j in range(k)]
        groups.append((s, make_rubric(kinds, weights, tags)))
    for i in range(min(all_nan_rows, b)):
        s, r = groups[i]
        s = s.copy()
        s[0, :] = np.nan
        groups[i] = (s, r)
    return groups


def batch_for(method, groups, keys=None) -> ScoreBatch:
    """What harness/cell/rewards.py does: w0 from the method's base weights, then build_batch."""
    keys = keys or [f"p{i}" for i in range(len(groups))]
    w0 = [method.base_weights(key, f"question {key}", r) for key, (_, r) in zip(keys, groups, strict=True)]
    return build_batch(
        [s for s, _ in groups],
        w0,
        [r.kinds for _, r in groups],
        keys,
        [[c.tags for c in r.criteria] for _, r in groups],
    )


def uniform_batch(scores: np.ndarray, kinds=None, w0=None, keys=None) -> ScoreBatch:
    """A batch from a dense (B, G, K) array (no padding)."""
    b, _, k = scores.shape
    kinds = kinds or ["principle"] * k
    w0 = np.full((b, k), 1.0 / k) if w0 is None else np.asarray(w0, dtype=float)
    return build_batch(list(scores), list(w0), [kinds] * b, keys or [f"p{i}" for i in range(b)])
