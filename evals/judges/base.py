"""The judge interface shared by training rewards and benchmark evaluation.

A judge turns (question, rubric, response) into one raw score per criterion:
bool for a Hard Rule, int 0-10 for a Principle, ``None`` when it could not
score. Failures are never turned into scores; they stay ``None`` and are counted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from core.rubric import Rubric
from core.scores import Score, normalize  # noqa: F401 (re-exported)


@dataclass(frozen=True)
class JudgeRequest:
    question: str
    rubric: Rubric
    response: str


@dataclass
class Judgment:
    scores: list[Score]
    rationale: str = ""
    judge: str = ""
    prompt_version: str = ""
    cached: bool = False
    attempts: int = 1

    @property
    def unscorable(self) -> int:
        return sum(s is None for s in self.scores)


class Judge(ABC):
    """Scores batches of requests; subclasses decide how (offline rules, an LLM server, ...)."""

    name: str = "judge"
    prompt_version: str = ""

    def __init__(self) -> None:
        self.counters: Counter[str] = Counter()

    def validate(self, rubric: Rubric) -> None:
        """Raise if this judge cannot score ``rubric`` at all (checked before training starts)."""
        return None

    @abstractmethod
    def judge(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        """One Judgment per request, in order. Must not raise for a single bad reply."""

    def stats(self) -> dict[str, float]:
        """Counters for logging (requests, cache hits, retries, invalid, unscorable, ...)."""
        return {f"judge/{k}": float(v) for k, v in sorted(self.counters.items())}
