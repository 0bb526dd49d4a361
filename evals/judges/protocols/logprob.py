"""``logprob`` (the probability judge): one short question per criterion, answered by one token.

The request asks for ``max_tokens=1`` with ``logprobs``/``top_logprobs``; nothing is
parsed from generated text, so a reply cannot be malformed. From the first token's
top alternatives (token text stripped of whitespace; yes/no case-insensitive):

- Hard Rule: ``P(yes) / (P(yes) + P(no))``, a float in [0, 1];
- Principle: the expected value over the tokens ``0`` .. ``10``,
  ``sum_v v P(v) / sum_v P(v)``, a float in [0, 10] (normalized /10 like an integer
  score). A tokenizer that splits ``10`` into ``1`` + ``0`` (SmolLM2's does) cannot
  tell 10 from 1 with one token: the mass of "10" is counted as 1, a downward bias
  at the top of the scale that a judge with a single-token ``10`` does not have.

If the allowed answers carry less than ``logprob_min_mass`` of the probability (the
model wanted to say something else), or the reply has no logprobs, the criterion is
unscorable (``None``), counted as ``logprob_low_mass`` / ``logprob_missing``, never 0.
Results are cached per (question, criterion, response) like ``per_item``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from typing import Any

from core.rubric import Criterion, Rubric
from core.scores import Score
from evals.judges import prompts
from evals.judges.base import JudgeRequest, Judgment
from evals.judges.protocols.base import Protocol
from evals.judges.replies import InvalidReply
from evals.judges.runtime import Unscorable

YES, NO = "yes", "no"
SCALE = tuple(range(11))


def top_logprobs(data: Any) -> list[tuple[str, float]]:
    """(token, logprob) of the first generated token's alternatives in a raw chat completion."""
    try:
        choice = data["choices"][0]
    except (KeyError, IndexError, TypeError):
        raise InvalidReply("reply is not a chat completion (no choices[0])") from None
    content = (choice.get("logprobs") or {}).get("content") if isinstance(choice, dict) else None
    if not content:
        raise Unscorable("logprob_missing", "the reply has no logprobs (does the server support them?)")
    first = content[0]
    alts = first.get("top_logprobs") or [first]
    out = []
    for a in alts:
        tok, lp = a.get("token"), a.get("logprob")
        if not isinstance(tok, str) or isinstance(lp, bool) or not isinstance(lp, int | float) or math.isnan(lp):
            raise InvalidReply(f"logprobs: bad entry {a!r}"[:120])
        out.append((tok, float(lp)))
    return out


def _mass(alts: Iterable[tuple[str, float]], key) -> tuple[dict[Any, float], float]:
    probs: dict[Any, float] = {}
    for tok, lp in alts:
        k = key(tok.strip())
        if k is not None:
            probs[k] = probs.get(k, 0.0) + math.exp(lp)
    return probs, sum(probs.values())


def hard_rule_score(alts: Iterable[tuple[str, float]], min_mass: float) -> tuple[float, float]:
    """(P(yes) / (P(yes) + P(no)), mass on yes/no); Unscorable below ``min_mass``."""
    probs, mass = _mass(alts, lambda t: t.lower() if t.lower() in (YES, NO) else None)
    if mass < min_mass or mass <= 0:
        raise Unscorable("logprob_low_mass", f"P(yes)+P(no) = {mass:.3f} < {min_mass}")
    return probs.get(YES, 0.0) / mass, mass


def principle_score(alts: Iterable[tuple[str, float]], min_mass: float) -> tuple[float, float]:
    """(expected value over 0..10, mass on 0..10); Unscorable below ``min_mass``."""
    probs, mass = _mass(alts, lambda t: int(t) if t.isascii() and t.isdigit() and int(t) in SCALE else None)
    if mass < min_mass or mass <= 0:
        raise Unscorable("logprob_low_mass", f"P(0..10) = {mass:.3f} < {min_mass}")
    return sum(v * p for v, p in probs.items()) / mass, mass


class LogprobProtocol(Protocol):
    version = prompts.LOGPROB_VERSION

    async def _criterion(self, s: Any, r: JudgeRequest, c: Criterion):
        j = self.j
        crit = Rubric(criteria=(c,)).to_json()
        key = j.key("logprob", self.version, r.question, crit, [r.response], extra=(j.logprob_top, j.logprob_min_mass))
        body = j.base_body(prompts.logprob_messages(r.question, c, r.response), max_tokens=1)
        body.update(logprobs=True, top_logprobs=j.logprob_top)
        score_of = hard_rule_score if c.kind == "hard_rule" else principle_score

        def extract(data: Any) -> dict[str, Any]:
            score, mass = score_of(top_logprobs(data), j.logprob_min_mass)
            return {"score": score, "mass": mass}

        return await j.call(s, key, body, extract)

    async def one(self, s: Any, r: JudgeRequest) -> Judgment:
        results = await asyncio.gather(*(self._criterion(s, r, c) for c in r.rubric.criteria))
        scores: list[Score] = []
        notes = []
        for k, (c, (res, _, _, err)) in enumerate(zip(r.rubric.criteria, results, strict=True), start=1):
            if res is None:
                scores.append(None)
                notes.append(f"[{k}] {err}")
            else:
                scores.append(float(res["score"]))
                what = "P(yes)" if c.kind == "hard_rule" else "E[score]"
                notes.append(f"[{k}] {what}={res['score']:.3f} (mass {res['mass']:.2f})")
        cached = all(res is not None and hit for res, hit, _, _ in results)
        attempts = sum(n for _, _, n, _ in results)
        return self.j.judgment(scores, "\n".join(notes), self.version, cached, attempts)
