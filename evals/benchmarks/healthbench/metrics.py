"""HealthBench's official metric (openai/simple-evals ``healthbench_eval.py``), as pure functions.

Per example: points of met criteria / sum of positive points; overall = mean clipped to [0, 1], with the
bootstrap std of the clipped mean; per tag (``theme:``, ``axis:``) clipped means as the reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evals.metrics import nonempty


def healthbench_example_score(points: Sequence[float], met: Sequence[bool | None]) -> float | None:
    """One example: sum of the points of met criteria / sum of the positive points.

    A met criterion with negative points (a pitfall) subtracts its points, so the
    score can be negative (it is clipped only after averaging, as in the
    reference). A criterion the judge could not score (``None``) is left out of
    numerator and denominator. A rubric without positive points (only pitfalls,
    or every positive criterion unscorable) has no defined score: ``None``, and
    the example is left out of the mean (the reference returns None too).
    """
    if len(points) != len(met):
        raise ValueError(f"healthbench: {len(points)} points for {len(met)} verdicts")
    nonempty("healthbench_example_score", points)
    possible = sum(float(p) for p, m in zip(points, met, strict=True) if p > 0 and m is not None)
    if possible <= 0:
        return None
    achieved = sum(float(p) for p, m in zip(points, met, strict=True) if m)
    return achieved / possible


def clipped_mean(values: Sequence[float]) -> float:
    nonempty("clipped_mean", values)
    return float(np.clip(np.mean(np.asarray(values, dtype=float)), 0.0, 1.0))


def bootstrap_std_clipped_mean(values: Sequence[float], n_bootstrap: int = 1000, seed: int = 0) -> float:
    """Std of the clipped mean over ``n_bootstrap`` resamples (the reference's ``bootstrap_std``)."""
    nonempty("bootstrap_std_clipped_mean", values)
    v = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(v), size=(n_bootstrap, len(v)))
    means = np.clip(v[idx].mean(axis=1), 0.0, 1.0)
    return float(np.std(means))


def healthbench_overall(example_scores: Sequence[float | None], n_bootstrap: int = 1000,
                        seed: int = 0) -> dict[str, float]:
    """Overall score = clipped mean of the defined per-example scores, with bootstrap std."""
    nonempty("healthbench_overall", example_scores)
    vals = [s for s in example_scores if s is not None]
    if not vals:
        raise ValueError("healthbench_overall: no example has a defined score (no positive points)")
    return {
        "overall_score": clipped_mean(vals),
        "overall_score_bootstrap_std": bootstrap_std_clipped_mean(vals, n_bootstrap, seed),
        "n_scored": float(len(vals)),
    }


def healthbench_tag_scores(
    points: Sequence[Sequence[float]],
    met: Sequence[Sequence[bool | None]],
    criterion_tags: Sequence[Sequence[Sequence[str]]],
    example_tags: Sequence[Sequence[str]],
) -> dict[str, float]:
    """Per-tag clipped means, as the reference computes them.

    Example-level tags (``theme:...``): the mean of the example scores of the
    examples carrying the tag. Rubric-level tags (``axis:...``): for each example
    the score restricted to its criteria with that tag (None without positive
    points there), then the clipped mean over examples.
    """
    n = len(points)
    if not (n == len(met) == len(criterion_tags) == len(example_tags)):
        raise ValueError("healthbench_tag_scores: inputs of different lengths")
    nonempty("healthbench_tag_scores", points)
    per_tag: dict[str, list[float]] = {}
    for p, m, ctags, etags in zip(points, met, criterion_tags, example_tags, strict=True):
        s = healthbench_example_score(p, m)
        if s is not None:
            for t in etags:
                per_tag.setdefault(t, []).append(s)
        for t in sorted({t for tags in ctags for t in tags}):
            sel = [k for k, tags in enumerate(ctags) if t in tags]
            st = healthbench_example_score([p[k] for k in sel], [m[k] for k in sel])
            if st is not None:
                per_tag.setdefault(t, []).append(st)
    return {t: clipped_mean(v) for t, v in sorted(per_tag.items())}
