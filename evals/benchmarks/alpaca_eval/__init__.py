"""AlpacaEval 2: 805 instructions judged pairwise against reference outputs.

Real data: ``tatsu-lab/alpaca_eval`` (``alpaca_eval_gpt4_baseline.json``, a JSON
list of ``{instruction, output, generator, dataset}`` where ``output`` is the
reference answer, GPT-4 Turbo's in AlpacaEval 2). ``benchmark.path=/path/to/
alpaca_eval_gpt4_baseline.json`` or ``benchmark.hub_id=tatsu-lab/alpaca_eval``
+ ``data_files=alpaca_eval_gpt4_baseline.json``. The real data has no rubric:
an LLM judge compares on ``DEFAULT_PAIRWISE_RUBRIC``; fixture rows carry an extra
``rubric`` whose criteria have ``check``s for the rules judge.

Judging: one pair (A=model, B=reference) per instruction (the openai judge's
``position_swap`` adds the swapped order). A judge with ``judge_pairs`` compares
in one call; any other judge scores both pointwise. The preference is 1 / 0.5 / 0
from the margin of normalized rubric scores (``|margin| < tie_margin`` is a tie).

Official metrics: the raw win rate (percent, ties half) and the
length-controlled win rate (``metrics.length_controlled_win_rate``: the
GLM with the tanh-normalized length difference, zeroed for prediction). The
leaderboard-wide instruction difficulty can be given as
``instruction_difficulty_path`` (JSON ``{instruction: difficulty}``); without it
that term is dropped (documented simplification). Lengths are in characters,
as in AlpacaEval. No dimensions (the benchmark has none); polarization is the
severe-deficiency rate of the model's own judgments.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.layouts import Context, Layout, parse_rows, register
from core.registry import component
from core.rubric import Example, RubricFormatError
from evals.benchmarks.alpaca_eval import metrics
from evals.benchmarks.base import (
    DEFAULT_PAIRWISE_RUBRIC,
    Benchmark,
    BenchResult,
    build_example,
    is_severe,
    judge_pairs,
    load_source,
    pair_margins,
    polarization,
    require,
    sample,
    strict_complete,
)
from evals.judges.base import Judge, JudgeRequest

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "alpaca_eval_gpt4_baseline.json"


def from_alpaca_eval(row: dict[str, Any], n: int, ctx: Context) -> Example:
    source = ctx.source
    instruction = require(row, source, n, "instruction", str)
    reference = require(row, source, n, "output", str)
    rubric = row.get("rubric", DEFAULT_PAIRWISE_RUBRIC)
    if not isinstance(rubric, list) or not rubric:
        raise RubricFormatError(source, n, "rubric", "expected a non-empty list of criteria")
    meta = {"reference": reference, "generator": row.get("generator"), "dataset": row.get("dataset")}
    return build_example(source, n, {"id": f"alpaca-{n}", "prompt": instruction, "rubric": rubric, "meta": meta})


register(Layout("alpaca_eval", from_alpaca_eval, ("instruction", "output"), training=False))


@component("benchmark", "alpaca_eval")  # the config schema is the constructor's signature
class AlpacaEval(Benchmark):
    name = "alpaca_eval"
    primary = "length_controlled_win_rate"
    metrics = ("length_controlled_win_rate", "win_rate")

    def __init__(self, path: str | None = None, hub_id: str | None = None, split: str = "train",
                 data_files: str | None = None, instruction_difficulty_path: str | None = None,
                 limit: int | None = None, tie_margin: float = 0.05) -> None:
        super().__init__(limit)
        self.path, self.hub_id, self.split, self.data_files = path, hub_id, split, data_files
        self.instruction_difficulty_path, self.tie_margin = instruction_difficulty_path, tie_margin

    def load(self) -> list[Example]:
        rows, source = load_source(self.path, self.hub_id, self.split, FIXTURE, data_files=self.data_files)
        items = parse_rows(rows, source, "alpaca_eval")
        return items[: self.limit] if self.limit else items

    def _difficulty(self, items: Sequence[Example]) -> list[float] | None:
        if not self.instruction_difficulty_path:
            return None
        table = json.loads(Path(self.instruction_difficulty_path).read_text())
        missing = [e.question[:40] for e in items if e.question not in table]
        if missing:
            raise ValueError(f"alpaca_eval: no instruction difficulty for {len(missing)} instructions, e.g. {missing[0]!r}")
        return [float(table[e.question]) for e in items]

    def score(self, items: Sequence[Example], responses: Sequence[str], judge: Judge) -> BenchResult:
        if not items:
            raise ValueError("alpaca_eval: no items to score")
        pairs = [(JudgeRequest(e.question, e.rubric, r), JudgeRequest(e.question, e.rubric, e.meta["reference"]))
                 for e, r in zip(items, responses, strict=True)]
        judged = judge_pairs(judge, pairs, desc="judging alpaca_eval")
        margins = pair_margins(judged, [e.rubric.kinds for e in items])
        difficulty = self._difficulty(items)
        prefs, mlen, rlen, diff = [], [], [], []
        samples, severe, complete = [], [], []
        for i, (e, r, m) in enumerate(zip(items, responses, margins, strict=True)):
            severe.append(is_severe(judged[i][0], e.rubric.kinds))
            complete.append(strict_complete(judged[i][0], e.rubric))
            pref = None if np.isnan(m) else metrics.preference_from_margin(m, self.tie_margin)
            samples.append(sample(e, r, judged[i][0], preference=pref, reference_scores=judged[i][1].scores))
            if pref is None:
                continue
            prefs.append(pref)
            mlen.append(len(r))
            rlen.append(len(e.meta["reference"]))
            if difficulty is not None:
                diff.append(difficulty[i])
        if not prefs:
            raise ValueError("alpaca_eval: every pair was unscorable")
        out = {
            "length_controlled_win_rate": metrics.length_controlled_win_rate(prefs, mlen, rlen, diff or None),
            "win_rate": metrics.win_rate(prefs),
            "n_ties": float(sum(p == 0.5 for p in prefs)),
            "avg_length": float(np.mean(mlen)),
            "unscorable_pairs": float(len(items) - len(prefs)),
        }
        return BenchResult(metrics=out, dimensions={}, polarization=polarization({}, severe, complete), samples=samples)
