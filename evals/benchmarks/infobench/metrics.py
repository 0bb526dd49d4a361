"""InFoBench's official metric, as a pure function: DRFR = satisfied requirements / all requirements."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evals.metrics import nonempty


def drfr(verdicts: Sequence[Sequence[bool | None]]) -> float:
    """InFoBench's Decomposed Requirements Following Ratio: satisfied / total requirements.

    Unscorable requirements (``None``) are left out of numerator and denominator.
    """
    nonempty("drfr", verdicts)
    flat = [bool(x) for v in verdicts for x in v if x is not None]
    nonempty("drfr (no scorable requirements)", flat)
    return float(np.mean(flat))
