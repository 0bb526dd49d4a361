"""IFEval: verifiable instructions, scored by lm-eval's own instruction checkers.

Official metrics: prompt-level and instruction-level accuracy, strict and loose
(lm-eval's loose variant: the instruction counts as followed if any of the
response with its first / last / both lines removed and/or asterisks removed
passes). Dimensions are instruction groups (the id's prefix, e.g.
``punctuation``), strict.

Judge: IFEval's official metric *is* lm-eval's instruction checkers, so the
benchmark scores with them (the rules judge's ``ifeval`` checks) whatever judge
is configured; when another judge is configured, ``check`` says so in one line
before any generation instead of replacing it silently.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.layouts import Context, Layout, parse_rows, register
from core.registry import component
from core.rubric import Example, RubricFormatError
from core.scores import met
from evals.benchmarks.base import (
    Benchmark,
    BenchResult,
    check_items,
    is_severe,
    load_source,
    polarization,
    run_judge,
    sample,
    strict_complete,
)
from evals.benchmarks.ifeval import metrics
from evals.judges.base import Judge, JudgeRequest
from evals.judges.rules import RulesJudge, ifeval_loose_check

log = logging.getLogger(__name__)
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "ifeval.jsonl"


def from_ifeval(row: dict, n: int, ctx: Context) -> Example:
    source = ctx.source
    for f in ("prompt", "instruction_id_list", "kwargs"):
        if f not in row:
            raise RubricFormatError(source, n, f, "missing")
    ids, kwargs = row["instruction_id_list"], row["kwargs"]
    if not isinstance(ids, list) or not ids or len(ids) != len(kwargs):
        raise RubricFormatError(source, n, "instruction_id_list", "needs one kwargs object per instruction id")
    criteria = [
        {
            "text": f"Follows the instruction {iid}",
            "kind": "hard_rule",
            "tags": [f"group:{iid.split(':')[0]}"],
            "check": {"type": "ifeval", "id": iid, "kwargs": {k: v for k, v in (kw or {}).items() if v}},  # falsy dropped, as lm-eval
        }
        for iid, kw in zip(ids, kwargs, strict=True)
    ]
    try:
        return Example(id=f"ifeval-{row.get('key', n)}", prompt=row["prompt"], rubric=criteria, meta={"key": row.get("key")})
    except Exception as e:  # pydantic error -> one line
        raise RubricFormatError(source, n, "prompt", str(e).splitlines()[0]) from None


register(Layout("ifeval", from_ifeval, ("prompt", "instruction_id_list:list", "kwargs:list"), training=False))


@component("benchmark", "ifeval")  # the config schema is the constructor's signature
class IFEval(Benchmark):
    name = "ifeval"
    primary = "prompt_level_strict_acc"
    metrics = ("prompt_level_strict_acc", "inst_level_strict_acc", "prompt_level_loose_acc", "inst_level_loose_acc")

    def __init__(self, path: str | None = None, hub_id: str | None = None, split: str = "train",
                 limit: int | None = None) -> None:
        super().__init__(limit)
        self.path, self.hub_id, self.split = path, hub_id, split

    def load(self) -> list[Example]:
        rows, source = load_source(self.path, self.hub_id, self.split, FIXTURE)
        items = parse_rows([dict(r) for r in rows], source, "ifeval")
        return items[: self.limit] if self.limit else items

    def check(self, items: Sequence[Example], judge: Judge) -> None:
        """Every instruction id is one lm-eval knows; one line when the configured judge is not used."""
        check_items(self.name, items, RulesJudge())
        if not isinstance(judge, RulesJudge):
            log.warning("ifeval: scored by lm-eval's instruction checkers (the official metric), "
                        "not by the configured judge %r", judge.name)

    def score(self, items: Sequence[Example], responses: Sequence[str], judge: Judge) -> BenchResult:
        if not items:
            raise ValueError("ifeval: no items to score")
        rules = judge if isinstance(judge, RulesJudge) else RulesJudge()
        js = run_judge(rules, [JudgeRequest(e.question, e.rubric, r) for e, r in zip(items, responses, strict=True)],
                       desc="judging ifeval")
        strict = [[bool(met(s)) for s in j.scores] for j in js]
        loose = [
            [ifeval_loose_check(c.check["id"], c.check.get("kwargs", {}), r, e.question)  # type: ignore[index]
             for c in e.rubric.criteria]
            for e, r in zip(items, responses, strict=True)
        ]
        groups: dict[str, list[bool]] = defaultdict(list)
        samples = []
        for e, r, j, oks, lo in zip(items, responses, js, strict, loose, strict=True):
            for c, ok in zip(e.rubric.criteria, oks, strict=True):
                groups[c.tags[0].removeprefix("group:")].append(ok)
            samples.append(sample(e, r, j, loose=lo))
        dims = {g: float(np.mean(v)) for g, v in sorted(groups.items())}
        severe = [is_severe(j, e.rubric.kinds) for e, j in zip(items, js, strict=True)]
        complete = [strict_complete(j, e.rubric) for e, j in zip(items, js, strict=True)]
        return BenchResult(
            metrics={
                "prompt_level_strict_acc": metrics.prompt_level_accuracy(strict),
                "inst_level_strict_acc": metrics.instruction_level_accuracy(strict),
                "prompt_level_loose_acc": metrics.prompt_level_accuracy(loose),
                "inst_level_loose_acc": metrics.instruction_level_accuracy(loose),
            },
            dimensions=dims,
            polarization=polarization(dims, severe, complete),
            samples=samples,
        )
