"""The test server's faults: what can go wrong with one judge request (see ``tests.support.testserver``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.rubric import Rubric

FAULT_KINDS = (
    "latency",
    "429",
    "500",
    "400",
    "401",
    "timeout",
    "malformed",
    "wrong_length",
    "wrong_count",
    "out_of_range",
    "float_score",
    "string_score",
    "no_choices",
    "negative_weight",
    "unnormalized",
    "500_validation",
    "no_logprobs",
    "low_mass",
    "dead",
)


@dataclass(frozen=True)
class Fault:
    kind: str
    seconds: float = 0.0  # latency / timeout
    retry_after: float | None = 0.01  # 429 only; None omits the header

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; known: {FAULT_KINDS}")


def as_fault(f: Fault | str) -> Fault:
    if isinstance(f, Fault):
        return f
    if f == "timeout":
        return Fault("timeout", seconds=5.0)
    return Fault(f)


def corrupt(scores: list[Any], rubric: Rubric, kind: str | None) -> None:
    kinds = rubric.kinds
    if kind == "wrong_length":
        scores.append(scores[-1])
    elif kind in ("out_of_range", "float_score"):
        k = kinds.index("principle") if "principle" in kinds else 0
        scores[k] = 11 if kind == "out_of_range" else 7.5
    elif kind == "string_score":
        k = kinds.index("hard_rule") if "hard_rule" in kinds else 0
        scores[k] = "true"
