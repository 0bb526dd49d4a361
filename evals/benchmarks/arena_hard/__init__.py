"""Arena-Hard v2: hard user prompts judged pairwise against a baseline, both positions.

Real data (lmarena-ai/arena-hard-auto, ``data/arena-hard-v2.0``): ``question.jsonl``
rows ``{uid, category, subcategory, prompt}`` and baseline answers
``model_answer/<baseline>.jsonl`` rows ``{uid, ans_id, model, messages, ...}``
whose last message is the assistant's (content a string, or ``{"answer": ...}``
as in v2). Point ``benchmark.path`` at question.jsonl and
``benchmark.baseline_paths`` at the baseline files, or use ``benchmark.hub_id`` +
``data_files`` / ``baseline_data_files``. Each question is paired with the answer
of its category's baseline model, ``benchmark.baselines`` (category -> model; the
official v2 assignment by default: o3-mini-2025-01-31 for hard_prompt / coding /
math, gemini-2.0-flash-001 for creative_writing), matched by (model, uid); a
question without its baseline's answer is counted and reported before any
generation. ``benchmark.categories`` selects categories.

Judging: each question gives two games, (A=baseline, B=model) and (A=model,
B=baseline). A judge with ``judge_pairs`` (openai) compares the two answers in
one call; any other judge scores both pointwise on the item's rubric (rules).
The 5-level verdict comes from the margin of normalized rubric scores,
``score(A) - score(B)``: ``|m| < tie_margin`` -> A=B, ``< strong_margin`` -> A>B /
B>A, else A>>B / B>>A (``metrics.verdict_from_margin``). The real data has
no rubric: the LLM judge uses ``DEFAULT_PAIRWISE_RUBRIC``; the fixture rows carry
an extra ``rubric`` (criteria with ``check``s) for the rules judge.

Official metric (``show_result.py``): battle scores with strong verdicts counted
3x, a Bradley-Terry fit (sklearn logistic regression), win rate against the
baseline in percent, bootstrap 95% CI over questions. With style control
(``style_control``, default on, as the v2 leaderboard): length and markdown
density of the two answers as extra Bradley-Terry features (``style.py``),
``style_controlled_win_rate`` overall and per category. Dimensions: the win rate
per ``category`` (each category against its own baseline). Severe: the model's own judgment has a failed Hard Rule or a
Principle <= 2. Games whose margin is unscorable are dropped and counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.layouts import Context, Layout, parse_rows, read_rows, register
from core.registry import component
from core.rubric import Example, RubricFormatError
from evals.benchmarks.arena_hard import metrics
from evals.benchmarks.arena_hard import style as arena_style
from evals.benchmarks.base import (
    DEFAULT_PAIRWISE_RUBRIC,
    Benchmark,
    BenchmarkCheckError,
    BenchResult,
    build_example,
    is_severe,
    judge_pairs,
    load_source,
    pair_margins,
    polarization,
    require,
    sample,
    select,
    shipped,
    strict_complete,
)
from evals.judges.base import Judge, JudgeRequest

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures"
FIXTURE = FIXTURE_DIR / "question.jsonl"
FIXTURE_BASELINES = [str(FIXTURE_DIR / "model_answer" / f"{m}.jsonl")
                     for m in ("o3-mini-2025-01-31", "gemini-2.0-flash-001")]
# the official v2 configuration (arena-hard-auto utils/judge_utils.py JUDGE_SETTINGS): category -> baseline
OFFICIAL_BASELINES: dict[str, str] = {
    "hard_prompt": "o3-mini-2025-01-31",
    "coding": "o3-mini-2025-01-31",
    "math": "o3-mini-2025-01-31",
    "creative_writing": "gemini-2.0-flash-001",
}


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
                   data_files: Sequence[str] | None) -> dict[tuple[str, str], str]:
    """(baseline model, uid) -> answer from every baseline file (each row names its ``model``)."""
    out: dict[tuple[str, str], str] = {}
    sources: list[tuple[list[dict[str, Any]], str]] = []
    if paths:
        sources = [(read_rows(shipped(str(p)), "benchmark"), str(p)) for p in paths]  # fixtures:... ships with evals
    elif hub_id and data_files:
        sources = [load_source(None, hub_id, split, FIXTURE, data_files=f) for f in data_files]
    else:
        sources = [(read_rows(p, "benchmark"), p) for p in FIXTURE_BASELINES]
    for rows, source in sources:
        for n, row in enumerate(rows, start=1):
            uid, ans = answer_text(row, source, n)
            model = require(row, source, n, "model", str)
            out[(model, uid)] = ans
    return out


def from_arena_hard(row: dict[str, Any], n: int, ctx: Context) -> Example:
    """A question row; ``pair_with_baselines`` adds its baseline's answer."""
    source = ctx.source
    uid = str(require(row, source, n, "uid", (str, int)))
    category = require(row, source, n, "category", str)
    prompt = require(row, source, n, "prompt", (str, list))
    rubric = row.get("rubric", DEFAULT_PAIRWISE_RUBRIC)
    if not isinstance(rubric, list) or not rubric:
        raise RubricFormatError(source, n, "rubric", "expected a non-empty list of criteria")
    meta = {"uid": uid, "category": category, "subcategory": row.get("subcategory")}
    return build_example(source, n, {"id": f"arena-{uid}", "prompt": prompt, "rubric": rubric, "meta": meta})


register(Layout("arena_hard", from_arena_hard, ("uid", "category", "prompt"), training=False))


def pair_with_baselines(rows: Sequence[dict[str, Any]], source: str, baselines: Mapping[str, str],
                        answers: Mapping[tuple[str, str], str]) -> list[Example]:
    """Each question with its category's baseline answer; every missing one is counted, the first named."""
    items, missing = [], []
    for n, e in enumerate(parse_rows(rows, source, "arena_hard"), start=1):
        uid, category = e.meta["uid"], e.meta["category"]
        model = baselines.get(category)
        if model is None or (model, uid) not in answers:
            why = (f"category {category!r} has no baseline in benchmark.baselines" if model is None
                   else f"no answer of baseline {model!r} for uid {uid!r}")
            missing.append(f"row {n}: {why}")
            continue
        items.append(e.model_copy(update={"meta": {**e.meta, "baseline": answers[(model, uid)], "baseline_model": model}}))
    if missing:
        raise BenchmarkCheckError(f"{source}: {len(missing)} of {len(rows)} questions have no baseline answer; "
                                  f"first: {missing[0]}")
    return items


@component("benchmark", "arena_hard")  # the config schema is the constructor's signature
class ArenaHard(Benchmark):
    name = "arena_hard"
    primary = "win_rate"
    metrics = ("win_rate", "win_rate_ci_low", "win_rate_ci_high")

    def __init__(self, path: str | None = None, baseline_paths: list[str] | None = None,
                 hub_id: str | None = None, split: str = "train", data_files: str | None = None,
                 baseline_data_files: list[str] | None = None, limit: int | None = None,
                 tie_margin: float = 0.05, strong_margin: float = 0.3, strong_weight: int = 3,
                 n_bootstrap: int = 100, seed: int = 0,
                 baselines: dict[str, str] = OFFICIAL_BASELINES,  # noqa: B006 - category -> model; copied
                 categories: list[str] | None = None,  # e.g. [hard_prompt]; None keeps all
                 style_control: bool = True,  # length + markdown features in the Bradley-Terry fit
                 ) -> None:
        super().__init__(limit)
        self.baselines = dict(OFFICIAL_BASELINES if baselines is None else baselines)
        self.categories = list(categories) if categories else None
        self.style_control = style_control
        self.path, self.baseline_paths, self.hub_id, self.split = path, baseline_paths, hub_id, split
        self.data_files, self.baseline_data_files = data_files, baseline_data_files
        self.tie_margin, self.strong_margin, self.strong_weight = tie_margin, strong_margin, strong_weight
        self.n_bootstrap, self.seed = n_bootstrap, seed

    def load(self) -> list[Example]:
        rows, source = load_source(self.path, self.hub_id, self.split, FIXTURE, data_files=self.data_files)
        if self.categories:
            chosen = select(list(range(len(rows))), rows, source, "categories", "category", self.categories)
            rows = [rows[i] for i in chosen]
        answers = load_baselines(self.baseline_paths, self.hub_id, self.split, self.baseline_data_files)
        items = pair_with_baselines(rows, source, self.baselines, answers)
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
        if self.style_control:
            out.update(self._style_controlled(samples, items, responses))
        dims = {f"category:{c}": 100 * metrics.bt_win_rate([x for q in v for x in q]) for c, v in sorted(cats.items())}
        return BenchResult(metrics=out, dimensions=dims, polarization=polarization(dims, severe, complete), samples=samples)


    def _style_controlled(self, samples: list[dict[str, Any]], items: Sequence[Example],
                          responses: Sequence[str]) -> dict[str, float]:
        """Style-controlled win rates (percent): all battles, then each category on its own."""
        rows: list[tuple[str, dict[str, int], dict[str, int], float]] = []
        for smp, e, r in zip(samples, items, responses, strict=True):
            for s in smp.get("battle_scores") or []:
                rows.append((e.meta["category"], arena_style.style_metadata(r),
                             arena_style.style_metadata(e.meta["baseline"]), s))
        out: dict[str, float] = {}
        groups = [("", rows)] + [(f"/{c}", [x for x in rows if x[0] == c]) for c in sorted({x[0] for x in rows})]
        for suffix, part in groups:
            if len(part) < 2 or (suffix and len(groups) == 2):
                continue
            feats = arena_style.battle_features([x[1] for x in part], [x[2] for x in part])
            sc = arena_style.style_controlled_win_rate([x[3] for x in part], feats, self.n_bootstrap, self.seed)
            out[f"style_controlled_win_rate{suffix}"] = 100 * sc["win_rate"]
            if not suffix:
                out["style_controlled_ci_low"], out["style_controlled_ci_high"] = 100 * sc["ci_low"], 100 * sc["ci_high"]
                out.update({f"style_coef/{k[5:]}": v for k, v in sc.items() if k.startswith("coef_")})
        return out
