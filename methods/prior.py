"""prior (paper: static_prior_weight): per-question base weights ``w0``.

``PriorWeights(source=...)`` is a ``BaseWeights``; use it under any method
(``conf/method/prior.yaml`` = static with it, ``focal_prior.yaml`` = focal with it).

Sources:
* ``uniform``: ``1/K``.
* ``rubric``: the dataset's own importance, ``Criterion.weight`` if every criterion
  has one, else ``Criterion.points`` if every criterion has them, else uniform.
  Negative values (RaR pitfalls, HealthBench negative points) mark a criterion
  that must be avoided; its *importance* is the absolute value, so
  ``w0_k = |weight_k| / sum_j |weight_j|``. The sign is not a direction: scores are
  assumed oriented so that 1 = good for every criterion (the judge is asked whether
  the response meets, i.e. avoids, the pitfall), which is what every method assumes.
* ``llm``: asks ``judge.prior_weights([(question, rubric), ...])`` once per prompt
  key for JSON ``{"weights": [...]}`` (the judge caches on disk and returns the raw
  parsed list, or None when it could not parse a reply after its retries). The list
  is validated: length K, finite numbers, non-negative, positive sum. A list that
  passes but does not sum to 1 (|sum - 1| > 1e-6) is repaired by renormalizing (safe:
  all entries are non-negative and the sum positive) and counted as ``repaired``.
  Anything else falls back to the rubric weights, then to uniform; each fallback is
  counted by reason. Exceptions from the judge (e.g. server down) propagate: a dead
  judge must stop the run, not silently turn into rubric weights.

Weights are computed once per key and memoized (``precompute`` batches the LLM calls
for many prompts; the trainer may call it before the first step). ``stats()`` returns
flat counters ``prior/...`` that ``Method.__call__`` adds to every step's extras.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.rubric import Rubric
from methods.base import BaseWeights

SOURCES = ("rubric", "llm", "uniform")
SUM_TOL = 1e-6


def uniform_weights(k: int) -> np.ndarray:
    return np.full(k, 1.0 / k)


def rubric_weights(rubric: Rubric) -> np.ndarray | None:
    """|weight| (or |points|) normalized, or None when the rubric does not carry them for every item."""
    for attr in ("weight", "points"):
        vals = [getattr(c, attr) for c in rubric.criteria]
        if all(v is not None for v in vals):
            w = np.abs(np.asarray(vals, dtype=np.float64))
            if np.all(np.isfinite(w)) and w.sum() > 0:
                return w / w.sum()
    return None


def validate_llm_weights(raw: Any, k: int) -> tuple[np.ndarray | None, str]:
    """(weights summing to 1, "ok" | "repaired") or (None, failure reason)."""
    if raw is None:
        return None, "unparsed"
    if not isinstance(raw, list | tuple):
        return None, "type"
    if len(raw) != k:
        return None, "length"
    if any(isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in raw):
        return None, "type"
    w = np.asarray(raw, dtype=np.float64)
    if np.any(w < 0):
        return None, "negative"
    total = w.sum()
    if total <= 0:
        return None, "zero_sum"
    return w / total, ("ok" if abs(total - 1.0) <= SUM_TOL else "repaired")


class PriorWeights(BaseWeights):
    def __init__(self, source: str = "rubric", judge: Any = None) -> None:
        if source not in SOURCES:
            raise ValueError(f"prior: source must be one of {SOURCES}, got {source!r}")
        if source == "llm" and (judge is None or not hasattr(judge, "prior_weights")):
            raise ValueError("prior: source=llm needs a judge with a prior_weights(items) method")
        self.source, self.judge = source, judge
        self._memo: dict[str, np.ndarray] = {}
        self._counts: Counter[str] = Counter()

    # --------------------------------------------------------------------- per prompt

    def _fallback(self, rubric: Rubric) -> np.ndarray:
        w = rubric_weights(rubric)
        if w is not None:
            self._counts["w0/rubric"] += 1
            return w
        self._counts["w0/uniform"] += 1
        return uniform_weights(len(rubric))

    def _resolve(self, rubric: Rubric, raw: Any = None) -> np.ndarray:
        if self.source == "uniform":
            self._counts["w0/uniform"] += 1
            return uniform_weights(len(rubric))
        if self.source == "rubric":
            return self._fallback(rubric)
        w, status = validate_llm_weights(raw, len(rubric))
        if w is None:
            self._counts[f"llm_fallback/{status}"] += 1
            return self._fallback(rubric)
        self._counts["w0/llm"] += 1
        if status == "repaired":
            self._counts["llm_repaired"] += 1
        return w

    def precompute(self, items: Sequence[tuple[str, str, Rubric]]) -> None:
        """Resolve many (key, question, rubric) at once (one batched judge call for source=llm)."""
        todo = [
            (k, q, r) for k, q, r in dict((k, (k, q, r)) for k, q, r in items).values() if k not in self._memo
        ]
        if not todo:
            return
        if self.source == "llm":
            raws = self.judge.prior_weights([(q, r) for _, q, r in todo])
            if len(raws) != len(todo):
                raise RuntimeError(f"prior: judge returned {len(raws)} weight lists for {len(todo)} prompts")
        else:
            raws = [None] * len(todo)
        for (key, _, rubric), raw in zip(todo, raws, strict=True):
            self._memo[key] = self._resolve(rubric, raw)

    def __call__(self, key: str, question: str, rubric: Rubric) -> np.ndarray:
        w = self._memo.get(key)
        if w is None or w.shape[0] != len(rubric):
            self._memo.pop(key, None)
            self.precompute([(key, question, rubric)])
            w = self._memo[key]
        return w.copy()

    def stats(self) -> dict[str, float]:
        return {f"prior/{name}": float(n) for name, n in sorted(self._counts.items())}
