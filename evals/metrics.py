"""What the benchmarks' metrics share, as pure functions (no judge, no model, no I/O).

Each benchmark's official metric lives in its own folder, ``evals/benchmarks/<name>/metrics.py``; every
function validates its input and raises ``ValueError`` with a clear message on empty or inconsistent
input, mirrors the benchmark's reference code, and names every deviation in its docstring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def nonempty(name: str, values: Sequence) -> None:
    """Raise one clear line when there is nothing to compute a metric from."""
    if len(values) == 0:
        raise ValueError(f"{name}: no values (empty input)")


def mean_ignoring_none(values: Sequence[float | None], name: str = "mean") -> float:
    """Mean of the non-None values; raises if there are none."""
    nonempty(name, values)
    vals = [float(v) for v in values if v is not None and not np.isnan(v)]
    if not vals:
        raise ValueError(f"{name}: every value is None/NaN")
    return float(np.mean(vals))


def group_means(values: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Per-dimension means (dimensions without values are dropped)."""
    return {k: float(np.mean(v)) for k, v in sorted(values.items()) if len(v)}
