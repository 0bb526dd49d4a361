"""Score normalization and orientation, shared by training rewards and benchmarks.

Raw scores: a Hard Rule is a bool (a JSON judge, the rules judge) or a probability in
[0, 1] (the logprob judge's P(yes)); a Principle is an integer 0-10, or a float in
[0, 10] (the logprob judge's expected value). Normalized, both are in [0, 1]:
continuous scores reach the methods unchanged.

Benchmarks whose official metric counts met Hard Rules (HealthBench points,
InFoBench DRFR, IFEval accuracy, severe-deficiency rates) use :func:`met`: a bool is
itself; a continuous score is met iff it is >= ``MET_THRESHOLD`` (0.5: the judge
thinks "yes" at least as likely as "no"). A boolean judge's metrics are unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from core.rubric import Rubric

Score = bool | int | float | None
MET_THRESHOLD = 0.5


def met(s: Score) -> bool | None:
    """A Hard Rule verdict as met / not met (None stays None: unscorable)."""
    if s is None or isinstance(s, bool):
        return s
    return float(s) >= MET_THRESHOLD


def normalize(scores: Sequence[Score], kinds: Sequence[str]) -> np.ndarray:
    """Raw scores -> [0, 1]: hard rule 0/1 or its probability, principle score/10, unscorable NaN."""
    if len(scores) != len(kinds):
        raise ValueError(f"{len(scores)} scores for {len(kinds)} criteria")
    out = np.full(len(scores), np.nan, dtype=np.float64)
    for k, (s, kind) in enumerate(zip(scores, kinds, strict=True)):
        if s is None:
            continue
        v = float(s) if kind == "hard_rule" else float(s) / 10.0
        if not (math.isfinite(v) and 0.0 <= v <= 1.0):
            raise ValueError(f"score {k}: {s!r} is out of range for a {kind}")
        out[k] = v
    return out


def pitfalls(rubric: Rubric) -> np.ndarray:
    """Which criteria are pitfalls (negative weight or points): judged as "present", so flipped."""
    return np.array([(c.weight or 0) < 0 or (c.points or 0) < 0 for c in rubric.criteria], dtype=bool)


def oriented(scores: np.ndarray, rubric: Rubric) -> np.ndarray:
    """Make 1 mean good for every criterion: a pitfall (negative weight or points) is judged
    as "present", so its score is flipped; the methods then see "pitfall avoided"."""
    flip = pitfalls(rubric)
    return np.where(flip, 1.0 - scores, scores) if flip.any() else scores
