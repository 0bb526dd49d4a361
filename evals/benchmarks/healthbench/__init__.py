"""HealthBench: multi-turn health conversations, each with a physician-written rubric of signed points.

Real data: the ``openai/healthbench`` JSONL (rows ``prompt`` = messages,
``rubrics`` = [{criterion, points, tags}], ``example_tags``, ``prompt_id``);
``benchmark.path=/path/to/oss_eval.jsonl`` or ``benchmark.hub_id=...``. The real
data has no machine checks, so it needs an LLM judge (``judge=openai`` /
``judge=vllm``). The bundled fixture is in the same format plus one extra key
per rubric item, ``check``, so the offline rules judge can score it.

Every rubric item is a yes/no criterion (a ``hard_rule`` whose verdict means
"criterion met"). Items with negative points are pitfalls: when met they
subtract their points. Official metric (simple-evals): per example, points of
met criteria / sum of positive points; overall = mean clipped to [0, 1] with a
bootstrap std. Dimensions: ``axis:*`` tags of the rubric items and ``theme:*``
tags of the examples, computed the reference's way. Polarization (worst
dimension, spread) is taken over the axes. A response is severely deficient
when it fails a criterion with ``|points| >= severe_points`` (misses a positive
one or meets a pitfall).

Protocol: ``protocol: per_item`` (HealthBench's grader, one call per
criterion) switches a judge that has modes (the openai judge) into that mode;
``rubric`` scores all criteria of a response in one call; ``judge`` keeps the
judge's own mode. The rules judge has no modes and ignores this.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from core.layouts import LayoutOptions, parse_rows
from core.registry import component
from core.rubric import Example
from core.scores import met as hr_met
from evals.benchmarks.base import (
    Benchmark,
    BenchResult,
    load_source,
    polarization,
    run_judge,
    sample,
    strict_complete,
    with_mode,
)
from evals.benchmarks.healthbench import metrics
from evals.judges.base import Judge, JudgeRequest

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "healthbench.jsonl"


# simple-evals rows through the training data's own layout (core.layouts.healthbench), every item a
# Hard Rule: HealthBench grades each item met / not met
ROWS = LayoutOptions(judged_kind="hard_rule")


class Protocol(StrEnum):
    """How HealthBench asks the judge (typed: a typo fails at compose time, listing these)."""

    per_item = "per_item"  # HealthBench's grader: one call per rubric item
    rubric = "rubric"  # one call per response, all items as JSON
    judge = "judge"  # whatever mode the configured judge has


@component("benchmark", "healthbench")  # the config schema is the constructor's signature
class HealthBench(Benchmark):
    name = "healthbench"
    primary = "overall_score"
    metrics = ("overall_score", "overall_score_bootstrap_std")

    def __init__(self, path: str | None = None, hub_id: str | None = None, split: str = "test",
                 data_files: str | None = None, limit: int | None = None,
                 protocol: Protocol = Protocol.per_item,
                 severe_points: float = 5.0, n_bootstrap: int = 1000, judge_chunk: int = 0) -> None:
        super().__init__(limit)
        protocol = Protocol(protocol)  # a plain string from Python callers; the config is already typed
        self.path, self.hub_id, self.split, self.data_files = path, hub_id, split, data_files
        self.protocol, self.severe_points, self.n_bootstrap = protocol, severe_points, n_bootstrap
        self.judge_chunk = judge_chunk

    def load(self) -> list[Example]:
        rows, source = load_source(self.path, self.hub_id, self.split, FIXTURE, data_files=self.data_files)
        items = parse_rows(rows, source, "healthbench", ROWS)
        return items[: self.limit] if self.limit else items

    def score(self, items: Sequence[Example], responses: Sequence[str], judge: Judge) -> BenchResult:
        if not items:
            raise ValueError("healthbench: no items to score")
        j = with_mode(judge, None if self.protocol is Protocol.judge else self.protocol.value)
        js = run_judge(j, [JudgeRequest(e.question, e.rubric, r) for e, r in zip(items, responses, strict=True)],
                       desc="judging healthbench", chunk=self.judge_chunk)
        points = [[float(c.points or 0.0) for c in e.rubric.criteria] for e in items]
        met = [[hr_met(s) for s in jd.scores] for jd in js]
        ex_scores = [metrics.healthbench_example_score(p, m) for p, m in zip(points, met, strict=True)]
        out = metrics.healthbench_overall(ex_scores, self.n_bootstrap)
        ctags = [[list(c.tags) for c in e.rubric.criteria] for e in items]
        etags = [list(e.meta.get("example_tags", [])) for e in items]
        dims = {k: v for k, v in metrics.healthbench_tag_scores(points, met, ctags, etags).items()
                if k.startswith(("axis:", "theme:"))}
        axes = {k: v for k, v in dims.items() if k.startswith("axis:")}
        severe = [self._severe(p, m) for p, m in zip(points, met, strict=True)]
        complete = [strict_complete(jd, e.rubric) for e, jd in zip(items, js, strict=True)]
        unscorable = sum(x is None for m in met for x in m)
        out["unscorable_criteria"] = float(unscorable)
        samples = [sample(e, r, jd, example_score=s) for e, r, jd, s in zip(items, responses, js, ex_scores, strict=True)]
        return BenchResult(metrics=out, dimensions=dims, polarization=polarization(axes or dims, severe, complete),
                           samples=samples)

    def _severe(self, points: Sequence[float], met: Sequence[bool | None]) -> bool:
        for p, m in zip(points, met, strict=True):
            if m is None or abs(p) < self.severe_points:
                continue
            if (p > 0 and not m) or (p < 0 and m):
                return True
        return False
