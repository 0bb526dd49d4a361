"""InFoBench: instructions decomposed into yes/no requirements; metric DRFR.

Real data: ``kqsong/InFoBench`` (rows ``{id, input, category, instruction,
decomposed_questions, subset, question_label}``); ``benchmark.path=...jsonl`` or
``benchmark.hub_id=kqsong/InFoBench``. The prompt is the instruction followed by
the input (when there is one), as in the reference generation script. Each
decomposed question is a Hard Rule ("does the response satisfy ...?").
The real data has no machine checks and needs an LLM judge; the bundled fixture
adds a parallel list ``decomposed_checks`` (one check per question) for the
offline rules judge.

Official metric: DRFR = satisfied requirements / all requirements (pooled),
plus DRFR on the Easy and Hard subsets. Dimensions: the requirement category
(``question_label``, e.g. Content / Linguistic / Style / Format / Number) when
present; otherwise the instruction ``category``. Severe: any failed requirement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.layouts import Context, Layout, parse_rows, register
from core.registry import component
from core.rubric import Example, RubricFormatError
from core.scores import met
from evals.benchmarks.base import (
    Benchmark,
    BenchResult,
    build_example,
    is_severe,
    load_source,
    polarization,
    require,
    run_judge,
    sample,
    strict_complete,
)
from evals.benchmarks.infobench import metrics
from evals.judges.base import Judge, JudgeRequest
from evals.metrics import group_means

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "infobench.jsonl"


def _labels(row: dict[str, Any], source: str, n: int, k: int) -> list[list[str]]:
    labels = row.get("question_label")
    if labels is None:
        return [[] for _ in range(k)]
    if not isinstance(labels, list) or len(labels) != k:
        raise RubricFormatError(source, n, "question_label", f"expected one label list per question ({k})")
    out = []
    for lab in labels:
        lab = [lab] if isinstance(lab, str) else lab
        if not isinstance(lab, list) or not all(isinstance(x, str) for x in lab):
            raise RubricFormatError(source, n, "question_label", "labels must be strings or lists of strings")
        out.append(lab)
    return out


def from_infobench(row: dict[str, Any], n: int, ctx: Context) -> Example:
    source = ctx.source
    instruction = require(row, source, n, "instruction", str)
    questions = require(row, source, n, "decomposed_questions", list)
    if not questions or not all(isinstance(q, str) and q.strip() for q in questions):
        raise RubricFormatError(source, n, "decomposed_questions", "expected a non-empty list of questions")
    checks = row.get("decomposed_checks")
    if checks is not None and (not isinstance(checks, list) or len(checks) != len(questions)):
        raise RubricFormatError(source, n, "decomposed_checks", "expected one check per decomposed question")
    labels = _labels(row, source, n, len(questions))
    inp = row.get("input") or ""
    prompt = f"{instruction}\n{inp}" if str(inp).strip() else instruction
    criteria = []
    for k, q in enumerate(questions):
        c: dict[str, Any] = {"text": q, "kind": "hard_rule", "tags": [f"label:{x}" for x in labels[k]]}
        if checks is not None:
            c["check"] = checks[k]
        criteria.append(c)
    meta = {"category": row.get("category"), "subset": row.get("subset")}
    rid = f"infobench-{row.get('id', n)}"
    return build_example(source, n, {"id": rid, "prompt": prompt, "rubric": criteria, "meta": meta})


register(Layout("infobench", from_infobench, ("instruction", "decomposed_questions:list"), training=False))


@component("benchmark", "infobench")  # the config schema is the constructor's signature
class InFoBench(Benchmark):
    name = "infobench"
    primary = "drfr"
    metrics = ("drfr",)

    def __init__(self, path: str | None = None, hub_id: str | None = None, split: str = "train",
                 data_files: str | None = None, limit: int | None = None, judge_chunk: int = 0) -> None:
        super().__init__(limit)
        self.path, self.hub_id, self.split, self.data_files = path, hub_id, split, data_files
        self.judge_chunk = judge_chunk

    def load(self) -> list[Example]:
        rows, source = load_source(self.path, self.hub_id, self.split, FIXTURE, data_files=self.data_files)
        items = parse_rows(rows, source, "infobench")
        return items[: self.limit] if self.limit else items

    def score(self, items: Sequence[Example], responses: Sequence[str], judge: Judge) -> BenchResult:
        if not items:
            raise ValueError("infobench: no items to score")
        js = run_judge(judge, [JudgeRequest(e.question, e.rubric, r) for e, r in zip(items, responses, strict=True)],
                       desc="judging infobench", chunk=self.judge_chunk)
        verdicts = [[met(s) for s in j.scores] for j in js]
        out = {"drfr": metrics.drfr(verdicts),
               "unscorable_requirements": float(sum(v is None for vs in verdicts for v in vs))}
        subsets: dict[str, list[list[bool | None]]] = defaultdict(list)
        dims_raw: dict[str, list[float]] = defaultdict(list)
        has_labels = any(c.tags for e in items for c in e.rubric.criteria)
        for e, vs in zip(items, verdicts, strict=True):
            if e.meta.get("subset"):
                subsets[str(e.meta["subset"])].append(vs)
            for c, v in zip(e.rubric.criteria, vs, strict=True):
                if v is None:
                    continue
                keys = list(c.tags) if has_labels else [f"category:{e.meta.get('category')}"]
                for key in keys:
                    dims_raw[key].append(float(v))
        for sub, vs in sorted(subsets.items()):
            name = sub.lower().removesuffix("_set")
            try:
                out[f"drfr_{name}"] = metrics.drfr(vs)
            except ValueError:
                pass
        dims = group_means(dims_raw)
        severe = [is_severe(j, e.rubric.kinds) for e, j in zip(items, js, strict=True)]
        complete = [strict_complete(j, e.rubric) for e, j in zip(items, js, strict=True)]
        samples = [sample(e, r, j, subset=e.meta.get("subset")) for e, r, j in zip(items, responses, js, strict=True)]
        return BenchResult(metrics=out, dimensions=dims, polarization=polarization(dims, severe, complete), samples=samples)
