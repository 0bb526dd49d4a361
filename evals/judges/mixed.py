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
from collections.abc import Sequence
from typing import Any

from core.registry import component
from core.rubric import Rubric
from evals.judges.base import Judge, JudgeRequest, Judgment, Score


def split_rubric(rubric: Rubric) -> tuple[list[int], list[int]]:
    """(positions with a ``check``, positions without): which criteria go to which judge."""
    checked = [i for i, c in enumerate(rubric.criteria) if c.check is not None]
    return checked, [i for i, c in enumerate(rubric.criteria) if c.check is None]


def _part(rubric: Rubric, positions: Sequence[int]) -> Rubric:
    return Rubric(criteria=tuple(rubric.criteria[i] for i in positions))


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
        checked, judged = split_rubric(rubric)
        if checked:
            self.rules.validate(_part(rubric, checked))
        if judged:
            self.llm.validate(_part(rubric, judged))

    def _call(self, judge: Judge, requests: list[JudgeRequest], prefix: str) -> list[Judgment]:
        """``judge.judge(requests)``, adding what its counters gained to this judge's (prefixed)."""
        if not requests:
            return []
        before = Counter(judge.counters)
        out = judge.judge(requests)
        gained = Counter(judge.counters)
        gained.subtract(before)
        self.counters.update({f"{prefix}{k}": v for k, v in gained.items() if v})
        if len(out) != len(requests):
            raise RuntimeError(f"judge {judge.name!r} returned {len(out)} judgments for {len(requests)} requests")
        return out

    def judge(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        splits = [split_rubric(r.rubric) for r in requests]
        rule_idx = [i for i, (checked, _) in enumerate(splits) if checked]
        llm_idx = [i for i, (_, judged) in enumerate(splits) if judged]
        by_rules = dict(zip(rule_idx, self._call(
            self.rules, [JudgeRequest(requests[i].question, _part(requests[i].rubric, splits[i][0]),
                                      requests[i].response) for i in rule_idx], "rules/"), strict=True))
        by_llm = dict(zip(llm_idx, self._call(
            self.llm, [JudgeRequest(requests[i].question, _part(requests[i].rubric, splits[i][1]),
                                    requests[i].response) for i in llm_idx], ""), strict=True))
        out = []
        for i, (checked, judged) in enumerate(splits):
            scores: list[Score] = [None] * len(requests[i].rubric)
            for part, positions in ((by_rules.get(i), checked), (by_llm.get(i), judged)):
                if part is not None:
                    for pos, s in zip(positions, part.scores, strict=True):
                        scores[pos] = s
            llm = by_llm.get(i)
            out.append(Judgment(scores=scores, rationale=llm.rationale if llm else "", judge=self.name,
                                prompt_version=self.prompt_version, cached=llm.cached if llm else False,
                                attempts=llm.attempts if llm else 1))
        return out

    def prior_weights(self, items: Sequence[tuple[str, Rubric]]) -> list[Any]:
        """The LLM judge's prior weights (``method=prior`` with ``source: llm``) over whole rubrics."""
        return self.llm.prior_weights(items)  # type: ignore[attr-defined]

    def close(self) -> None:
        for j in (self.llm, self.rules):
            close = getattr(j, "close", None)
            if callable(close):
                close()

