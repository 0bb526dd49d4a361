"""One strategy per judging protocol; :func:`protocol_for` picks it from ``judge.mode``."""

from __future__ import annotations

from typing import Any

from evals.judges.options import JudgeMode
from evals.judges.protocols.base import Protocol
from evals.judges.protocols.group import GroupProtocol
from evals.judges.protocols.logprob import LogprobProtocol
from evals.judges.protocols.pairwise import PairwiseProtocol
from evals.judges.protocols.per_item import PerItemProtocol
from evals.judges.protocols.rubric import RubricProtocol

PROTOCOLS: dict[JudgeMode, type[Protocol]] = {
    JudgeMode.rubric: RubricProtocol,
    JudgeMode.pairwise: PairwiseProtocol,
    JudgeMode.per_item: PerItemProtocol,
    JudgeMode.logprob: LogprobProtocol,
    JudgeMode.group: GroupProtocol,
}


def protocol_for(mode: JudgeMode, judge: Any) -> Protocol:
    return PROTOCOLS[mode](judge)


__all__ = ["PROTOCOLS", "Protocol", "protocol_for"]
