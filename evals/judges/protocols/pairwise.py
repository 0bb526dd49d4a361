"""``pairwise`` (the paper's protocol): one call scores two responses,
``rollout_A_scores`` / ``rollout_B_scores``.

``judge(requests)`` pairs *consecutive* requests with the same question and rubric (a
GRPO group of G rollouts -> G/2 calls); a leftover single request (odd group, or a
neighbour with a different question) is scored pointwise with the ``rubric`` prompt.
``position_swap: true`` also asks for (B, A) and combines the two orders: Principle =
mean of the two scores rounded half up (``(a + b + 1) // 2``); Hard Rule = true only if
both orders say true (a violation seen in either order counts). If one order is
unscorable the other order's scores are used (counted as ``swap_partial``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

from core.scores import Score
from evals.judges import prompts
from evals.judges.base import JudgeRequest, Judgment
from evals.judges.protocols.base import Protocol
from evals.judges.protocols.rubric import RubricProtocol
from evals.judges.replies import pairwise_model, parse_reply


def same_item(a: JudgeRequest, b: JudgeRequest) -> bool:
    return a.question == b.question and a.rubric == b.rubric


def check_pairs(pairs: Sequence[tuple[JudgeRequest, JudgeRequest]]) -> None:
    for a, b in pairs:
        if not same_item(a, b):
            raise ValueError("judge_pairs: both requests of a pair need the same question and rubric")


def combine_swapped(ab: list[Score], ba_for_same: list[Score], kinds: Sequence[str]) -> list[Score]:
    """One response's scores from two orders: Principle mean rounded half up, Hard Rule AND."""
    out: list[Score] = []
    for s1, s2, kind in zip(ab, ba_for_same, kinds, strict=True):
        if s1 is None or s2 is None:
            out.append(s1 if s2 is None else s2)
        elif kind == "hard_rule":
            out.append(bool(s1) and bool(s2))
        else:
            out.append((int(s1) + int(s2) + 1) // 2)
    return out


class PairwiseProtocol(Protocol):
    version = prompts.PAIRWISE_VERSION

    def __init__(self, judge: Any) -> None:
        super().__init__(judge)
        self.pointwise = RubricProtocol(judge)
        self.swap = bool(judge.position_swap)
        self.rationale_chars = self.pointwise.rationale_chars
        self.version = prompts.versioned(type(self).version, self.rationale_chars)
        self.full_version = self.version + ("+swap" if self.swap else "")

    async def judge_all(self, s: Any, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        jobs: list[Awaitable[Any]] = []
        spans: list[int] = []
        i = 0
        while i < len(requests):
            r = requests[i]
            if i + 1 < len(requests) and same_item(r, requests[i + 1]):
                jobs.append(self.pair(s, r, requests[i + 1]))
                spans.append(2)
                i += 2
            else:
                jobs.append(self.pointwise.one(s, r))
                spans.append(1)
                i += 1
        out: list[Judgment] = []
        for res, n in zip(await asyncio.gather(*jobs), spans, strict=True):
            out.extend(res if n == 2 else [res])
        return out

    async def judge_pairs(
        self, s: Any, pairs: Sequence[tuple[JudgeRequest, JudgeRequest]]
    ) -> list[tuple[Judgment, Judgment]]:
        return list(await asyncio.gather(*(self.pair(s, a, b) for a, b in pairs)))

    def body(self, a: JudgeRequest, b: JudgeRequest) -> tuple[type, dict[str, Any]]:
        """(reply model, request body) for the pair in this order."""
        model = pairwise_model(tuple(a.rubric.kinds), self.rationale_chars)
        messages = prompts.pairwise_messages(
            a.question, a.rubric, a.response, b.response, rationale=self.rationale_chars > 0
        )
        return model, self.j.json_body(messages, model)

    async def _one_order(self, s: Any, a: JudgeRequest, b: JudgeRequest):
        key = self.j.key("pairwise", self.version, a.question, a.rubric.to_json(), [a.response, b.response])
        model, body = self.body(a, b)

        def extract(content: str | None) -> dict[str, Any]:
            reply = parse_reply(model, content)
            return {
                "a": list(reply.rollout_A_scores),  # type: ignore[attr-defined]
                "b": list(reply.rollout_B_scores),  # type: ignore[attr-defined]
                "rationale": getattr(reply, "rationale", None) or "",
            }

        return await self.j.call(s, key, body, self.j.content(extract))

    async def pair(self, s: Any, a: JudgeRequest, b: JudgeRequest) -> tuple[Judgment, Judgment]:
        k = len(a.rubric)
        none: list[Score] = [None] * k
        j = self.j
        if not self.swap:
            res, cached, attempts, err = await self._one_order(s, a, b)
            v = self.version
            if res is None:
                return self.unscorable(k, err, attempts), self.unscorable(k, err, attempts)
            return (
                j.judgment(res["a"], res["rationale"], v, cached, attempts),
                j.judgment(res["b"], res["rationale"], v, cached, attempts),
            )
        (r1, c1, n1, e1), (r2, c2, n2, e2) = await asyncio.gather(self._one_order(s, a, b), self._one_order(s, b, a))
        v, attempts, kinds = self.full_version, n1 + n2, a.rubric.kinds
        if r1 is None and r2 is None:
            msg = f"unscorable: {e1}; {e2}"
            return j.judgment(list(none), msg, v, False, attempts), j.judgment(list(none), msg, v, False, attempts)
        if r1 is None or r2 is None:
            j.counters["swap_partial"] += 1
        a1, b1 = (r1["a"], r1["b"]) if r1 else (none, none)
        b2, a2 = (r2["a"], r2["b"]) if r2 else (none, none)
        rationale = f"[A,B] {r1['rationale'] if r1 else 'unscorable'} | [B,A] {r2['rationale'] if r2 else 'unscorable'}"
        cached = bool(r1 is not None and r2 is not None and c1 and c2)
        return (
            j.judgment(combine_swapped(a1, a2, kinds), rationale, v, cached, attempts),
            j.judgment(combine_swapped(b1, b2, kinds), rationale, v, cached, attempts),
        )
