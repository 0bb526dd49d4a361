"""Boosted base weights: uniform, except criteria carrying one tag weigh ``factor`` times more.

The positive control of a comparison (``conf/method/static_boost.yaml``): static with one criterion's
weight raised several-fold must raise that criterion's satisfaction. An effect known in advance; a
design that cannot detect it cannot detect a method's effect either.
"""

from __future__ import annotations

import numpy as np

from core.rubric import Rubric
from methods.base import BaseWeights


def boosted_weights(rubric: Rubric, tag: str, factor: float) -> np.ndarray:
    """w0_k proportional to ``factor`` if criterion k carries ``tag``, else 1; sums to 1."""
    w = np.array([factor if tag in c.tags else 1.0 for c in rubric.criteria], dtype=np.float64)
    return w / w.sum()


class TagBoost(BaseWeights):
    def __init__(self, tag: str, factor: float = 5.0) -> None:
        if factor <= 0:
            raise ValueError(f"boost: factor must be positive, got {factor}")
        self.tag, self.factor = tag, float(factor)
        self._boosted = 0

    def __call__(self, key: str, question: str, rubric: Rubric) -> np.ndarray:
        if any(self.tag in c.tags for c in rubric.criteria):
            self._boosted += 1
        return boosted_weights(rubric, self.tag, self.factor)

    def stats(self) -> dict[str, float]:
        return {"boost/prompts_with_tag": float(self._boosted)}
