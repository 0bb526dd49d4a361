"""``rubric`` (pointwise): one call scores one response on all K criteria as JSON:
Hard Rule -> true/false, Principle -> integer 0-10 (with a bounded rationale first, or none:
the judge's ``rationale_chars``)."""

from __future__ import annotations

from typing import Any

from evals.judges import prompts
from evals.judges.base import JudgeRequest, Judgment
from evals.judges.protocols.base import Protocol
from evals.judges.replies import parse_reply, rubric_model


class RubricProtocol(Protocol):
    version = prompts.RUBRIC_VERSION

    def __init__(self, judge: Any) -> None:
        super().__init__(judge)
        self.rationale_chars = int(getattr(judge, "rationale_chars", prompts.DEFAULT_RATIONALE_CHARS))
        self.version = prompts.versioned(type(self).version, self.rationale_chars)

    def body(self, r: JudgeRequest) -> tuple[type, dict[str, Any]]:
        """(reply model, request body) for one request: what ``one`` sends (perf scripts send it too)."""
        model = rubric_model(tuple(r.rubric.kinds), self.rationale_chars)
        messages = prompts.rubric_messages(r.question, r.rubric, r.response, rationale=self.rationale_chars > 0)
        return model, self.j.json_body(messages, model)

    async def one(self, s: Any, r: JudgeRequest) -> Judgment:
        kinds = tuple(r.rubric.kinds)
        key = self.j.key("rubric", self.version, r.question, r.rubric.to_json(), [r.response])
        model, body = self.body(r)

        def extract(content: str | None) -> dict[str, Any]:
            reply = parse_reply(model, content)
            return {"scores": list(reply.scores), "rationale": getattr(reply, "rationale", None) or ""}  # type: ignore[attr-defined]

        res, cached, attempts, err = await self.j.call(s, key, body, self.j.content(extract))
        if res is None:
            return self.unscorable(len(kinds), err, attempts)
        return self.j.judgment(res["scores"], res["rationale"], self.version, cached, attempts)
