"""``per_item`` (HealthBench's grader): one call per criterion, ``{"explanation", "criteria_met"}``;
a Hard Rule gets ``criteria_met``, a Principle 10 if met else 0. Cached per (question, criterion, response)."""

from __future__ import annotations

import asyncio
from typing import Any

from core.rubric import Criterion, Rubric
from core.scores import Score
from evals.judges import prompts
from evals.judges.base import JudgeRequest, Judgment
from evals.judges.protocols.base import Protocol
from evals.judges.replies import PerItemReply, parse_reply


def _extract(content: str | None) -> dict[str, Any]:
    reply = parse_reply(PerItemReply, content)
    return {"met": reply.criteria_met, "rationale": reply.explanation or ""}  # type: ignore[attr-defined]


class PerItemProtocol(Protocol):
    version = prompts.PER_ITEM_VERSION

    async def _criterion(self, s: Any, r: JudgeRequest, c: Criterion):
        crit = Rubric(criteria=(c,)).to_json()
        key = self.j.key("per_item", self.version, r.question, crit, [r.response])
        body = self.j.json_body(prompts.per_item_messages(r.question, c, r.response), PerItemReply)
        return await self.j.call(s, key, body, self.j.content(_extract))

    async def one(self, s: Any, r: JudgeRequest) -> Judgment:
        results = await asyncio.gather(*(self._criterion(s, r, c) for c in r.rubric.criteria))
        scores: list[Score] = []
        notes = []
        for k, (c, (res, _, _, err)) in enumerate(zip(r.rubric.criteria, results, strict=True), start=1):
            if res is None:
                scores.append(None)
                notes.append(f"[{k}] unscorable: {err}")
            else:
                scores.append(res["met"] if c.kind == "hard_rule" else (10 if res["met"] else 0))
                notes.append(f"[{k}] {res['rationale']}")
        cached = all(res is not None and hit for res, hit, _, _ in results)
        attempts = sum(n for _, _, n, _ in results)
        return self.j.judgment(scores, "\n".join(notes), self.version, cached, attempts)
