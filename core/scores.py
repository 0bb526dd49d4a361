"""Score normalization and orientation, shared by training rewards and benchmarks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.rubric import Rubric

Score = bool | int | None


def normalize(scores: Sequence[Score], kinds: Sequence[str]) -> np.ndarray:
    """Raw scores -> [0, 1]: hard rule 0/1, principle score/10, unscorable NaN."""
    if len(scores) != len(kinds):
        raise ValueError(f"{len(scores)} scores for {len(kinds)} criteria")
    out = np.full(len(scores), np.nan, dtype=np.float64)
    for k, (s, kind) in enumerate(zip(scores, kinds, strict=True)):
        if s is None:
            continue
        out[k] = float(bool(s)) if kind == "hard_rule" else float(s) / 10.0
    return out


def oriented(scores: np.ndarray, rubric: Rubric) -> np.ndarray:
    """Make 1 mean good for every criterion: a pitfall (negative weight or points) is judged
    as "present", so its score is flipped; the methods then see "pitfall avoided"."""
    flip = np.array([(c.weight or 0) < 0 or (c.points or 0) < 0 for c in rubric.criteria])
    return np.where(flip, 1.0 - scores, scores) if flip.any() else scores
