"""The ``mixed`` judge: rule-checked criteria by the rules judge, the rest by an LLM judge.

Published rubric sets mix both kinds in one rubric: RubricHub's Instruction_Following rows carry
IFEval-style items marked ``verifier: rule`` next to ``verifier: llm`` items, and the verl reader
gives the first a machine ``check`` (``core.layouts.verl``). An LLM judge alone would grade the
rule items by reading them; the rules judge alone cannot score the others. This judge splits each
rubric by whether a criterion carries a ``check``, sends the two parts to its two judges (one
batched call each) and puts the scores back in the rubric's order, so a method sees one judgment
per rollout as from any judge. Counters: the LLM judge's under their own names (``judge/requests``
counts LLM requests), the rules judge's under ``rules/`` (``judge/rules/requests``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from core.registry import component
from core.rubric import Rubric
from evals.judges.base import Judge, JudgeRequest, Judgment, Score

T = TypeVar("T")


def split_rubric(rubric: Rubric) -> tuple[list[int], list[int]]:
    """(positions with a ``check``, positions without): which criteria go to which judge."""
    checked = [i for i, c in enumerate(rubric.criteria) if c.check is not None]
    return checked, [i for i, c in enumerate(rubric.criteria) if c.check is None]


def _part(rubric: Rubric, positions: Sequence[int]) -> Rubric:
    return Rubric(criteria=tuple(rubric.criteria[i] for i in positions))


def _sub(request: JudgeRequest, which: int) -> JudgeRequest:
    """``request`` about its checked items (``which`` 0) or its items without a check (1)."""
    return JudgeRequest(request.question, _part(request.rubric, split_rubric(request.rubric)[which]), request.response)


@component("judge", "mixed")
class MixedJudge(Judge):
    """``llm``: the judge of criteria without a ``check`` (``judge=local``, ``vllm``, ``openai``);
    ``rules``: the judge of criteria with one (``judge=rules``)."""

    name = "mixed"

    def __init__(self, llm: Any, rules: Any) -> None:
        super().__init__()
        self.llm: Judge = llm
        self.rules: Judge = rules
        self.prompt_version = f"mixed({rules.prompt_version}+{llm.prompt_version})"

    def validate(self, rubric: Rubric) -> None:
        checked, free = split_rubric(rubric)
        if checked:
            self.rules.validate(_part(rubric, checked))
        if free:
            self.llm.validate(_part(rubric, free))

    def _counted(self, judge: Judge, prefix: str, call: Callable[[], list[T]], n: int) -> list[T]:
        """``call()`` (a call of ``judge``, ``n`` results expected), adding what ``judge``'s counters
        gained to this judge's, under ``prefix``."""
        if n == 0:
            return []
        before = Counter(judge.counters)
        out = call()
        gained = Counter(judge.counters)
        gained.subtract(before)
        self.counters.update({f"{prefix}{k}": v for k, v in gained.items() if v})
        if len(out) != n:
            raise RuntimeError(f"judge {judge.name!r} returned {len(out)} results for {n} requests")
        return out

    def _rules(self, requests: Sequence[JudgeRequest]) -> list[Judgment | None]:
        """The rules judge's judgment of each request's checked items (None where it has none)."""
        asked = [i for i, r in enumerate(requests) if split_rubric(r.rubric)[0]]
        got = self._counted(self.rules, "rules/", lambda: self.rules.judge([_sub(requests[i], 0) for i in asked]),
                            len(asked))
        out: list[Judgment | None] = [None] * len(requests)
        for i, j in zip(asked, got, strict=True):
            out[i] = j
        return out

    def _merged(self, rubric: Rubric, rules: Judgment | None, llm: Judgment | None) -> Judgment:
        """One judgment in the rubric's order from the two parts (a part not asked for is None)."""
        scores: list[Score] = [None] * len(rubric)
        for part, positions in zip((rules, llm), split_rubric(rubric), strict=True):
            if part is not None:
                for pos, score in zip(positions, part.scores, strict=True):
                    scores[pos] = score
        return Judgment(scores=scores, rationale=llm.rationale if llm else "", judge=self.name,
                        prompt_version=self.prompt_version, cached=llm.cached if llm else False,
                        attempts=llm.attempts if llm else 1)

    def judge(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        asked = [i for i, r in enumerate(requests) if split_rubric(r.rubric)[1]]
        got = self._counted(self.llm, "", lambda: self.llm.judge([_sub(requests[i], 1) for i in asked]), len(asked))
        llm: list[Judgment | None] = [None] * len(requests)
        for i, j in zip(asked, got, strict=True):
            llm[i] = j
        return [self._merged(r.rubric, rj, lj) for r, rj, lj in zip(requests, self._rules(requests), llm, strict=True)]

    def judge_pairs(self, pairs: Sequence[tuple[JudgeRequest, JudgeRequest]]) -> list[tuple[Judgment, Judgment]]:
        """Pairwise benchmarks: the LLM judge compares the two responses on the items without a check
        through its own ``judge_pairs`` (the paper's pairwise protocol); the rules judge scores each
        response's checked items. A judge without ``judge_pairs`` is asked pointwise."""
        if not callable(getattr(self.llm, "judge_pairs", None)):
            flat = self.judge([r for ab in pairs for r in ab])
            return list(zip(flat[0::2], flat[1::2], strict=True))
        asked = [i for i, (a, _) in enumerate(pairs) if split_rubric(a.rubric)[1]]
        got = self._counted(self.llm, "", lambda: self.llm.judge_pairs(  # type: ignore[attr-defined]
            [(_sub(pairs[i][0], 1), _sub(pairs[i][1], 1)) for i in asked]), len(asked))
        llm: list[tuple[Judgment | None, Judgment | None]] = [(None, None)] * len(pairs)
        for i, ab in zip(asked, got, strict=True):
            llm[i] = ab
        rules = self._rules([r for ab in pairs for r in ab])
        return [(self._merged(a.rubric, rules[2 * i], llm[i][0]), self._merged(b.rubric, rules[2 * i + 1], llm[i][1]))
                for i, (a, b) in enumerate(pairs)]

    def prior_weights(self, items: Sequence[tuple[str, Rubric]]) -> list[Any]:
        """The LLM judge's prior weights (``method=prior`` with ``source: llm``) over whole rubrics."""
        return self.llm.prior_weights(items)  # type: ignore[attr-defined]

    def close(self) -> None:
        for j in (self.llm, self.rules):
            close = getattr(j, "close", None)
            if callable(close):
                close()

