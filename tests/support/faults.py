"""The test server's faults: what can go wrong with one judge request (see ``tests.support.testserver``)::

latency        sleep ``seconds`` then answer normally
429            HTTP 429 with ``Retry-After: <retry_after>`` (omitted if None)
500            HTTP 500
400 / 401      HTTP 400 (bad request) / 401 (bad key)
timeout        sleep ``seconds`` (longer than the client's timeout), then answer
malformed      content that is not JSON
wrong_length   a score list one entry too long
out_of_range   a Principle scored 11 (per_item: criteria_met = "yes"; prior: weights "x")
float_score    a Principle scored 7.5
string_score   a Hard Rule scored "true"
no_choices     HTTP 200 with a chat completion that has no choices
500_validation HTTP 500 whose message is a request validation error (llama-cpp-python's
               answer to a response_format it does not know): not worth a retry
no_logprobs    logprob mode: a reply without logprobs
low_mass       logprob mode: the top tokens are none of the allowed answers
dead           the connection is closed without an answer (a server that died)
(in logprob mode malformed / wrong_length / out_of_range / float_score / string_score
give a logprob entry that is not a number)
"""

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
    "out_of_range",
    "float_score",
    "string_score",
    "no_choices",
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
