"""WritingBench's metric, as pure functions: the mean of per-criterion 1-10 scores, per query, then over queries."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evals.metrics import mean_ignoring_none, nonempty


def writingbench_query_score(scores: Sequence[float | None]) -> float | None:
    """Mean of a query's criterion scores (1-10); unscorable criteria are left out."""
    nonempty("writingbench_query_score", scores)
    vals = [float(s) for s in scores if s is not None]
    for v in vals:
        if not 1.0 <= v <= 10.0:
            raise ValueError(f"writingbench: criterion score {v} outside 1-10")
    return float(np.mean(vals)) if vals else None


def writingbench_score(per_query: Sequence[Sequence[float | None]]) -> float:
    """Benchmark score: mean over queries of the mean criterion score (1-10 scale)."""
    nonempty("writingbench_score", per_query)
    return mean_ignoring_none([writingbench_query_score(q) for q in per_query], "writingbench_score")


def to_writingbench_scale(score_0_10: int | None) -> float | None:
    """The judges' 0-10 principle score -> WritingBench's 1-10 scale (0 becomes 1)."""
    if score_0_10 is None:
        return None
    return float(min(10, max(1, int(score_0_10))))
