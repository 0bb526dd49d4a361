"""Arena-Hard v2: hard user prompts judged pairwise against a baseline, both positions.

Real data (lmarena-ai/arena-hard-auto, ``data/arena-hard-v2.0``): ``question.jsonl``
rows ``{uid, category, subcategory, prompt}`` and baseline answers
``model_answer/<baseline>.jsonl`` rows ``{uid, ans_id, model, messages, ...}``
whose last message is the assistant's (content a string, or ``{"answer": ...}``
as in v2). Point ``benchmark.path`` at question.jsonl and
``benchmark.baseline_paths`` at the baseline file(s) (v2 uses o3-mini-2025-01-31
for hard_prompt and gemini-2.0-flash-001 for creative_writing; answers are
matched by uid), or use ``benchmark.hub_id`` + ``data_files`` / ``baseline_data_files``.

Judging: each question gives two games, (A=baseline, B=model) and (A=model,
B=baseline). A judge with ``judge_pairs`` (openai) compares the two answers in
one call; any other judge scores both pointwise on the item's rubric (rules).
The 5-level verdict comes from the margin of normalized rubric scores,
``score(A) - score(B)``: ``|m| < tie_margin`` -> A=B, ``< strong_margin`` -> A>B /
B>A, else A>>B / B>>A (``evals.metrics.verdict_from_margin``). The real data has
no rubric: the LLM judge uses ``DEFAULT_PAIRWISE_RUBRIC``; the fixture rows carry
an extra ``rubric`` (criteria with ``check``s) for the rules judge.

Official metric (``show_result.py``): battle scores with strong verdicts counted
3x, a Bradley-Terry fit (sklearn logistic regression), win rate against the
baseline in percent, bootstrap 95% CI over questions. Dimensions: the win rate
per ``category``. Severe: the model's own judgment has a failed Hard Rule or a
Principle <= 2. Games whose margin is unscorable are dropped and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.registry import component
from core.rubric import Example, RubricFormatError
from evals import metrics
from evals.benchmarks.base import (
    DEFAULT_PAIRWISE_RUBRIC,
    FIXTURES,
    Benchmark,
    BenchResult,
    build_example,
    is_severe,
    judge_pairs,
    load_source,
    pair_margins,
    polarization,
    read_rows,
    require,
    sample,
    strict_complete,
)
from evals.judges.base import Judge, JudgeRequest

FIXTURE_DIR = FIXTURES / "arena_hard_v2"
FIXTURE = FIXTURE_DIR / "question.jsonl"
FIXTURE_BASELINES = [str(FIXTURE_DIR / "model_answer" / "o3-mini-2025-01-31.jsonl")]


def answer_text(row: dict[str, Any], source: str, n: int) -> tuple[str, str]:
    """(uid, answer) of an Arena-Hard model_answer row (v2 dict content or v0.1 choices)."""
    uid = str(require(row, source, n, "uid", (str, int)))
    if "messages" in row:
        msgs = row["messages"]
        if not isinstance(msgs, list) or not msgs or not isinstance(msgs[-1], dict):
            raise RubricFormatError(source, n, "messages", "expected a list of messages ending with the answer")
        content = msgs[-1].get("content")
        if isinstance(content, dict):
            content = content.get("answer")
    elif "choices" in row:  # arena-hard v0.1 format
        try:
            content = row["choices"][0]["turns"][0]["content"]
        except (KeyError, IndexError, TypeError):
            raise RubricFormatError(source, n, "choices", "expected choices[0].turns[0].content") from None
    else:
        raise RubricFormatError(source, n, "messages", "missing")
    if not isinstance(content, str):
        raise RubricFormatError(source, n, "messages", "the last message has no text answer")
    return uid, content


def load_baselines(paths: Sequence[str] | None, hub_id: str | None, split: str,
                   data_files: Sequence[str] | None) -> dict[str, tuple[str, str]]:
    """uid -> (baseline model, answer) from every baseline file."""
    out: dict[str, tuple[str, str]] = {}
    sources: list[tuple[list[dict[str, Any]], str]] = []
    if paths:
        sources = [(read_rows(p, "benchmark"), str(p)) for p in paths]
    elif hub_id and data_files:
        sources = [load_source(None, hub_id, split, FIXTURE, data_files=f) for f in data_files]
    else:
        sources = [(read_rows(p, "benchmark"), p) for p in FIXTURE_BASELINES]
    for rows, source in sources:
        for n, row in enumerate(rows, start=1):
            uid, ans = answer_text(row, source, n)
            out[uid] = (str(row.get("model", "baseline")), ans)
    return out


def from_arena_row(row: dict[str, Any], source: str, n: int, baselines: dict[str, tuple[str, str]]) -> Example:
    uid = str(require(row, source, n, "uid", (str, int)))
    prompt = require(row, source, n, "prompt", (str, list))
    category = require(row, source, n, "category", str)
    if uid not in baselines:
        raise RubricFormatError(source, n, "uid", f"no baseline answer for uid {uid!r}")
    rubric = row.get("rubric", DEFAULT_PAIRWISE_RUBRIC)
    if not isinstance(rubric, list) or not rubric:
        raise RubricFormatError(source, n, "rubric", "expected a non-empty list of criteria")
    model, answer = baselines[uid]
    meta = {"uid": uid, "category": category, "subcategory": row.get("subcategory"),
            "baseline": answer, "baseline_model": model}
    return build_example(source, n, {"id": f"arena-{uid}", "prompt": prompt, "rubric": rubric, "meta": meta})


class ArenaHard(Benchmark):
    name = "arena_hard"
    primary = "win_rate"

    def __init__(self, path: str | None = None, baseline_paths: list[str] | None = None,
                 hub_id: str | None = None, split: str = "train", data_files: str | None = None,
                 baseline_data_files: list[str] | None = None, limit: int | None = None,
                 tie_margin: float = 0.05, strong_margin: float = 0.3, strong_weight: int = 3,
                 n_bootstrap: int = 100, seed: int = 0) -> None:
        super().__init__(limit)
        self.path, self.baseline_paths, self.hub_id, self.split = path, baseline_paths, hub_id, split
        self.data_files, self.baseline_data_files = data_files, baseline_data_files
        self.tie_margin, self.strong_margin, self.strong_weight = tie_margin, strong_margin, strong_weight
        self.n_bootstrap, self.seed = n_bootstrap, seed

    def load(self) -> list[Example]:
        rows, source = load_source(self.path, self.hub_id, self.split, FIXTURE, data_files=self.data_files)
        baselines = load_baselines(self.baseline_paths, self.hub_id, self.split, self.baseline_data_files)
        items = [from_arena_row(r, source, n, baselines) for n, r in enumerate(rows, start=1)]
        return items[: self.limit] if self.limit else items

    def score(self, items: Sequence[Example], responses: Sequence[str], judge: Judge) -> BenchResult:
        if not items:
            raise ValueError("arena_hard: no items to score")
        pairs = []
        for e, r in zip(items, responses, strict=True):
            base = JudgeRequest(e.question, e.rubric, e.meta["baseline"])
            mine = JudgeRequest(e.question, e.rubric, r)
            pairs += [(base, mine), (mine, base)]
        judged = judge_pairs(judge, pairs, desc="judging arena_hard")
        margins = pair_margins(judged, [p[0].rubric.kinds for p in pairs])
        per_q: list[list[float]] = []
        cats: dict[str, list[list[float]]] = {}
        samples, severe, complete = [], [], []
        dropped = 0
        for i, (e, r) in enumerate(zip(items, responses, strict=True)):
            m1, m2 = margins[2 * i], margins[2 * i + 1]
            mine_j = judged[2 * i + 1][0]
            severe.append(is_severe(mine_j, e.rubric.kinds))
            complete.append(strict_complete(mine_j, e.rubric))
            if np.isnan(m1) or np.isnan(m2):
                dropped += 1
                samples.append(sample(e, r, mine_j, games=None, category=e.meta["category"]))
                continue
            g1 = metrics.verdict_from_margin(m1, self.tie_margin, self.strong_margin)
            g2 = metrics.verdict_from_margin(m2, self.tie_margin, self.strong_margin)
            s = metrics.arena_battle_scores(g1, g2, self.strong_weight)
            per_q.append(s)
            cats.setdefault(e.meta["category"], []).append(s)
            samples.append(sample(e, r, mine_j, games=[g1, g2], battle_scores=s, category=e.meta["category"],
                                  baseline_model=e.meta["baseline_model"]))
        if not per_q:
            raise ValueError("arena_hard: every game was unscorable")
        ci = metrics.bt_win_rate_ci(per_q, self.n_bootstrap, self.seed)
        out = {"win_rate": 100 * ci["win_rate"], "win_rate_ci_low": 100 * ci["ci_low"],
               "win_rate_ci_high": 100 * ci["ci_high"], "unscorable_questions": float(dropped)}
        dims = {f"category:{c}": 100 * metrics.bt_win_rate([x for q in v for x in q]) for c, v in sorted(cats.items())}
        return BenchResult(metrics=out, dimensions=dims, polarization=polarization(dims, severe, complete), samples=samples)


@component("benchmark", "arena_hard")
@dataclass
class ArenaHardConf:
    _target_: str = "evals.benchmarks.arena_hard.ArenaHard"
    path: str | None = None
    baseline_paths: list[str] | None = None
    hub_id: str | None = None
    split: str = "train"
    data_files: str | None = None
    baseline_data_files: list[str] | None = None
    limit: int | None = None
    tie_margin: float = 0.05
    strong_margin: float = 0.3
    strong_weight: int = 3
    n_bootstrap: int = 100
    seed: int = 0
