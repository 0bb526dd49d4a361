"""What the loopback judge server answers: the rules judge's verdict where a criterion has a check,
a deterministic stand-in elsewhere (see ``tests.support.testserver``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from core.rubric import Criterion, Rubric


def stand_in_score(c: Criterion, response: str) -> bool | int:
    if c.kind == "hard_rule":
        return True
    h = hashlib.sha256(f"{c.text}\x00{response}".encode()).digest()
    return h[0] % 11


def rules_scores(question: str, rubric: Rubric, response: str) -> list[bool | int]:
    """Rules-judge verdicts where a criterion has a valid check, the stand-in elsewhere."""
    from evals.judges.rules import CheckError, score_criterion, validate_criterion

    out: list[bool | int] = []
    for c in rubric.criteria:
        try:
            validate_criterion(c)
            s = score_criterion(c, response, question)
        except (CheckError, KeyError, ImportError):
            s = stand_in_score(c, response)
        out.append(s if s is not None else stand_in_score(c, response))
    return out


Scorer = Callable[[str, Rubric, str], Sequence[bool | int]]
