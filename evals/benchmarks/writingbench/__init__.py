"""WritingBench: writing queries in 6 domains, each with 5 query-specific criteria scored 1-10.

Real data: ``benchmark_query/benchmark_all.jsonl`` of X-PLUG/WritingBench (rows
``index, domain1, domain2, lang, query, checklist`` where each checklist item is
``{name, criteria_description, 1-2, 3-4, 5-6, 7-8, 9-10}``);
``benchmark.path=/path/to/benchmark_all.jsonl`` or ``benchmark.hub_id=...``.
The real data has no machine checks and needs an LLM judge; the bundled fixture
adds one ``check`` key to each checklist item for the offline rules judge.

Each criterion is a Principle: the judge's 0-10 score is mapped to WritingBench's
1-10 scale (0 -> 1). Official metric: the mean criterion score of a query,
averaged over queries (1-10). Dimensions: ``domain:<domain1>`` means and
``criterion:<name>`` means (criteria are query-specific, so the criterion
dimensions are as fine as the dataset names them). Severe: any criterion scored
<= 2 on the judge's scale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.layouts import Context, Layout, parse_rows, register
from core.registry import component
from core.rubric import Example, RubricFormatError, item_text, object_items
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
    select,
    strict_complete,
)
from evals.benchmarks.writingbench import metrics
from evals.judges.base import Judge, JudgeRequest
from evals.metrics import group_means

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "writingbench.jsonl"
BANDS = ("1-2", "3-4", "5-6", "7-8", "9-10")


def from_writingbench(row: dict[str, Any], n: int, ctx: Context) -> Example:
    source = ctx.source
    query = require(row, source, n, "query", str)
    checklist = require(row, source, n, "checklist", list)
    if not checklist:
        raise RubricFormatError(source, n, "checklist", "empty checklist")
    criteria = []
    for k, item in object_items(checklist, source, n, "checklist"):
        name = item_text(item, "name", source, n, f"checklist.{k}")
        desc = item_text(item, "criteria_description", source, n, f"checklist.{k}")
        bands = "; ".join(f"{b}: {item[b]}" for b in BANDS if isinstance(item.get(b), str))
        text = f"{name}: {desc}" + (f" (scoring: {bands})" if bands else "")
        c: dict[str, Any] = {"text": text, "kind": "principle", "tags": [f"criterion:{name}"]}
        if item.get("check") is not None:
            c["check"] = item["check"]
        criteria.append(c)
    domain = require(row, source, n, "domain1", str)
    rid = f"writingbench-{row.get('index', n)}"
    meta = {"domain1": domain, "domain2": row.get("domain2"), "lang": row.get("lang")}
    return build_example(source, n, {"id": rid, "prompt": query, "rubric": criteria, "meta": meta})


register(Layout("writingbench", from_writingbench, ("query", "checklist.0.name", "domain1"), training=False))


@component("benchmark", "writingbench")  # the config schema is the constructor's signature
class WritingBench(Benchmark):
    name = "writingbench"
    primary = "score"
    metrics = ("score",)

    def __init__(self, path: str | None = None, hub_id: str | None = None, split: str = "train",
                 data_files: str | None = None,
                 lang: str | None = None,  # en | zh | None (both)
                 limit: int | None = None, judge_chunk: int = 0) -> None:
        super().__init__(limit)
        self.path, self.hub_id, self.split, self.data_files = path, hub_id, split, data_files
        self.lang, self.judge_chunk = lang, judge_chunk

    def load(self) -> list[Example]:
        rows, source = load_source(self.path, self.hub_id, self.split, FIXTURE, data_files=self.data_files)
        items = parse_rows(rows, source, "writingbench")
        items = select(items, rows, source, "lang", "lang", self.lang)
        return items[: self.limit] if self.limit else items

    def score(self, items: Sequence[Example], responses: Sequence[str], judge: Judge) -> BenchResult:
        if not items:
            raise ValueError("writingbench: no items to score")
        js = run_judge(judge, [JudgeRequest(e.question, e.rubric, r) for e, r in zip(items, responses, strict=True)],
                       desc="judging writingbench", chunk=self.judge_chunk)
        per_query = [[metrics.to_writingbench_scale(s) for s in j.scores] for j in js]
        domains: dict[str, list[float]] = defaultdict(list)
        crits: dict[str, list[float]] = defaultdict(list)
        qscores = []
        for e, q in zip(items, per_query, strict=True):
            qs = metrics.writingbench_query_score(q)
            qscores.append(qs)
            if qs is not None:
                domains[f"domain:{e.meta['domain1']}"].append(qs)
            for c, s in zip(e.rubric.criteria, q, strict=True):
                if s is not None:
                    crits[c.tags[0]].append(s)
        domain_dims = group_means(domains)
        dims = {**domain_dims, **group_means(crits)}
        severe = [is_severe(j, e.rubric.kinds) for e, j in zip(items, js, strict=True)]
        complete = [strict_complete(j, e.rubric) for e, j in zip(items, js, strict=True)]
        out = {"score": metrics.writingbench_score(per_query),
               "unscorable_criteria": float(sum(s is None for q in per_query for s in q))}
        samples = [sample(e, r, j, query_score=qs, domain=e.meta["domain1"])
                   for e, r, j, qs in zip(items, responses, js, qscores, strict=True)]
        # polarization over the domains (the benchmark's reported breakdown)
        return BenchResult(metrics=out, dimensions=dims, polarization=polarization(domain_dims, severe, complete),
                           samples=samples)
