"""IFEval's official metrics, as pure functions: prompt- and instruction-level accuracy (strict or loose verdicts).

The loose verdicts themselves (lm-eval's response variants) are the rules judge's
``evals.judges.rules.ifeval_loose_check``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evals.metrics import nonempty


def prompt_level_accuracy(verdicts: Sequence[Sequence[bool]]) -> float:
    """Share of prompts whose instructions are all followed."""
    nonempty("prompt_level_accuracy", verdicts)
    for v in verdicts:
        nonempty("prompt_level_accuracy (a prompt without instructions)", v)
    return float(np.mean([all(v) for v in verdicts]))


def instruction_level_accuracy(verdicts: Sequence[Sequence[bool]]) -> float:
    """Share of all instructions followed (pooled over prompts)."""
    nonempty("instruction_level_accuracy", verdicts)
    flat = [bool(x) for v in verdicts for x in v]
    nonempty("instruction_level_accuracy (no instructions)", flat)
    return float(np.mean(flat))
