"""``rubric`` (pointwise): one call scores one response on all K criteria as JSON:
Hard Rule -> true/false, Principle -> integer 0-10."""

from __future__ import annotations

from typing import Any

from evals.judges import prompts
from evals.judges.base import JudgeRequest, Judgment
from evals.judges.protocols.base import Protocol
from evals.judges.replies import parse_reply, rubric_model


class RubricProtocol(Protocol):
    version = prompts.RUBRIC_VERSION

    async def one(self, s: Any, r: JudgeRequest) -> Judgment:
        kinds = tuple(r.rubric.kinds)
        model = rubric_model(kinds)
        key = self.j.key("rubric", self.version, r.question, r.rubric.to_json(), [r.response])
        body = self.j.json_body(prompts.rubric_messages(r.question, r.rubric, r.response), model)

        def extract(content: str | None) -> dict[str, Any]:
            reply = parse_reply(model, content)
            return {"scores": list(reply.scores), "rationale": reply.rationale or ""}  # type: ignore[attr-defined]

        res, cached, attempts, err = await self.j.call(s, key, body, self.j.content(extract))
        if res is None:
            return self.unscorable(len(kinds), err, attempts)
        return self.j.judgment(res["scores"], res["rationale"], self.version, cached, attempts)
