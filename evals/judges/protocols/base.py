"""The protocol interface: how a batch of requests becomes calls and the calls become Judgments.

A protocol holds no connection and no counters: it asks its judge (``self.j``, an
``OpenAIJudge``) for one cached, retried call (``j.call``) and for the request body
(``j.json_body`` for JSON replies) and builds Judgments with ``j.judgment``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from evals.judges.base import JudgeRequest, Judgment


class Protocol:
    version: str = ""

    def __init__(self, judge: Any) -> None:
        self.j = judge

    async def one(self, s: Any, r: JudgeRequest) -> Judgment:
        raise NotImplementedError

    async def judge_all(self, s: Any, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        """One Judgment per request, in order (all calls concurrent, bounded by the judge's semaphore)."""
        return list(await asyncio.gather(*(self.one(s, r) for r in requests)))

    def unscorable(self, k: int, err: str, attempts: int) -> Judgment:
        return self.j.judgment([None] * k, f"unscorable: {err}", self.version, False, attempts)
