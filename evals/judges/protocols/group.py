"""``group``: one call scores every response to one question together (a GRPO group's rollouts).

The rollouts of one prompt share the instructions, the question and the rubric: sent once per
group instead of once per rollout, the judge's prefill (most of its time on a CPU server) shrinks
about G-fold. ``judge(requests)`` groups the requests with the same question and rubric (in
training one prompt's rollouts; the order of the Judgments is the order of the requests) and
splits each group into calls of at most ``judge.group_size`` responses (0: the whole group). The
reply (prompt ``group-v1``) is ``{"rationale", "scores": [[...K], ... N lists]}`` under the same
structured outputs as the rubric mode; a reply with another number of lists or of entries, or a
bad value, is invalid (retried as any invalid reply), and after the retries every judgment of
that call is unscorable (``None``), counted as ``group_unscorable_rollouts``. One cache entry per
call: its key holds every response of the call in order (and the request body), so a rerun hits
it and a call under another grouping misses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from evals.judges import prompts
from evals.judges.base import JudgeRequest, Judgment
from evals.judges.protocols.base import Protocol
from evals.judges.replies import InvalidReply, group_model, parse_json_object, validate


def chunks(requests: Sequence[JudgeRequest], size: int) -> list[list[int]]:
    """Indices of the requests each call judges: those with one (question, rubric), in order, by ``size``."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(requests):
        groups.setdefault((r.question, r.rubric.to_json()), []).append(i)
    out: list[list[int]] = []
    for idx in groups.values():
        step = size or len(idx)
        out.extend(idx[a : a + step] for a in range(0, len(idx), step))
    return out


def check_counts(obj: dict[str, Any], n: int, k: int) -> None:
    """A clear message for the commonest failure: the wrong number of lists or of entries."""
    scores = obj.get("scores")
    if not isinstance(scores, list):
        return  # the model's own check names it
    if len(scores) != n:
        raise InvalidReply(f"scores: {len(scores)} lists for {n} responses")
    for i, lst in enumerate(scores):
        if isinstance(lst, list) and len(lst) != k:
            raise InvalidReply(f"scores[{i}]: {len(lst)} scores for {k} criteria")


class GroupProtocol(Protocol):
    version = prompts.GROUP_VERSION

    def __init__(self, judge: Any) -> None:
        super().__init__(judge)
        self.rationale_chars = int(getattr(judge, "rationale_chars", prompts.DEFAULT_RATIONALE_CHARS))
        self.group_size = int(getattr(judge, "group_size", 0))
        self.version = prompts.versioned(type(self).version, self.rationale_chars)

    def body(self, rs: Sequence[JudgeRequest]) -> tuple[type, dict[str, Any]]:
        """(reply model, request body) for one call on ``rs`` (one question and rubric; perf scripts send it too)."""
        r = rs[0]
        model = group_model(tuple(r.rubric.kinds), len(rs), self.rationale_chars)
        messages = prompts.group_messages(
            r.question, r.rubric, [x.response for x in rs], rationale=self.rationale_chars > 0
        )
        return model, self.j.json_body(messages, model)

    async def judge_all(self, s: Any, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        parts = chunks(requests, self.group_size)
        results = await asyncio.gather(*(self.group(s, [requests[i] for i in p]) for p in parts))
        out: list[Judgment | None] = [None] * len(requests)
        for p, judgments in zip(parts, results, strict=True):
            for i, j in zip(p, judgments, strict=True):
                out[i] = j
        return out  # type: ignore[return-value]

    async def one(self, s: Any, r: JudgeRequest) -> Judgment:
        return (await self.group(s, [r]))[0]

    async def group(self, s: Any, rs: Sequence[JudgeRequest]) -> list[Judgment]:
        r, n, k = rs[0], len(rs), len(rs[0].rubric)
        key = self.j.key("group", self.version, r.question, r.rubric.to_json(), [x.response for x in rs])
        model, body = self.body(rs)

        def extract(content: str | None) -> dict[str, Any]:
            obj = parse_json_object(content)
            check_counts(obj, n, k)
            reply = validate(model, obj)
            return {
                "scores": [list(x) for x in reply.scores],  # type: ignore[attr-defined]
                "rationale": getattr(reply, "rationale", None) or "",
            }

        res, cached, attempts, err = await self.j.call(s, key, body, self.j.content(extract))
        if res is None:
            self.j.counters["group_unscorable_rollouts"] += n
            return [self.unscorable(k, err, attempts) for _ in rs]
        return [self.j.judgment(sc, res["rationale"], self.version, cached, attempts) for sc in res["scores"]]
