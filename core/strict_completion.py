"""Strict completion: does a response meet every required criterion of its rubric?

POW3R's second metric (arXiv 2605.20164: "the fraction of prompts whose response
satisfies every required rubric criterion"), shared by the training logs and the
benchmarks so both count the same thing. Our definition:

* Required criteria: the rubric's Hard Rules. A rubric without Hard Rules has no
  criterion marked as required, so all of its criteria count as required there.
* Met: the oriented normalized score (1 = good, pitfalls already flipped) is at least
  ``MET = 0.5``: a Hard Rule judged true (or, from a probability judge, P(yes) >= 0.5),
  a pitfall judged absent, a Principle scored 5/10 or more.
* Three-valued: 0 if a scored required criterion is not met; otherwise NaN (unknown)
  if a required criterion is unscorable, else 1. Unknowns are left out of the share,
  so a judge failure is never counted as a success or a failure.
"""

from __future__ import annotations

import numpy as np

MET = 0.5


def strict_completion(scores: np.ndarray, hard: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Per response: 1.0 complete, 0.0 not, NaN unknown.

    scores (..., K) oriented normalized, NaN = unscorable; hard (..., K) True for Hard
    Rules and valid (..., K) False on padding, both broadcastable to scores.
    """
    scores = np.asarray(scores, dtype=np.float64)
    hard = np.broadcast_to(np.asarray(hard, dtype=bool), scores.shape)
    valid = np.ones(scores.shape, dtype=bool) if valid is None else np.broadcast_to(valid, scores.shape)
    has_hard = (hard & valid).any(axis=-1, keepdims=True)
    required = valid & np.where(has_hard, hard, True)
    scored = ~np.isnan(scores)
    with np.errstate(invalid="ignore"):
        failed = (required & scored & (np.nan_to_num(scores, nan=1.0) < MET)).any(axis=-1)
    unknown = (required & ~scored).any(axis=-1) | ~required.any(axis=-1)
    return np.where(failed, 0.0, np.where(unknown, np.nan, 1.0))


def share(values) -> float | None:
    """Mean over the known values (None when none is known)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else None
