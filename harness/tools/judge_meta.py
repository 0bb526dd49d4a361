"""Grade a configured judge against human labels before trusting it in training:
``python -m harness.tools.judge_meta judge=<name> [judge.x=...] [--healthbench FILE] [--llmbar FILE] [--limit N]``.

The judge is composed exactly as ``harness.evaluate`` composes it (``conf/evaluate.yaml``, any
``judge=`` option and ``judge.*`` override), served when managed (``judge=local``) and probed
before any item, with its verdict cache off so that asking again really asks again.

- **per criterion** (``--healthbench``, HealthBench's meta-evaluation format, see
  :mod:`evals.meta_eval`): each row is one Hard Rule (the physicians' criterion) on one
  completion; the judge's met / not met is compared with each physician's label by
  simple-evals' protocol (balanced F1), next to the physicians' own agreement (the ceiling);
- **pairwise** (``--llmbar``, LLMBar's format): the judge scores both outputs on a fixed
  two-criterion rubric (:data:`PAIR_RUBRIC`: following the instruction first, quality second,
  LLMBar's own order of priorities) and prefers the better one; accuracy against the human label
  (a tie counts one half). In ``judge.mode=pairwise`` both outputs go into one call and the pair is
  also asked with A and B swapped;
- **self-consistency**: every item is asked a second time; the flip rate is the share of
  verdicts that changed (swap: that changed with the order).

Prints one table; a verdict the judge could not give (None) is counted, never scored.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.rubric import Criterion, Rubric
from core.scores import met
from evals.judges.base import Judge, JudgeRequest, Judgment
from evals.meta_eval import (
    MetaDataError,
    MetaRow,
    PairRow,
    flip_rate,
    load_healthbench_meta,
    load_llmbar,
    physician_ceiling,
    rater_metrics,
)

PAIR_RUBRIC = Rubric(
    criteria=(
        Criterion(text="The output precisely executes the instruction: it does what the instruction asks, "
                       "no more and no less.", kind="hard_rule"),
        Criterion(text="The output is helpful, accurate and harmless, with a suitable level of detail.",
                  kind="principle"),
    )
)  # fmt: skip


def _fmt(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x:.1%}" if pct else f"{x:.3f}"


# ----------------------------------------------------------------------------- per criterion


def criterion_verdicts(judge: Judge, rows: Sequence[MetaRow]) -> list[bool | None]:
    reqs = [
        JudgeRequest(r.question, Rubric(criteria=(Criterion(text=r.criterion, kind="hard_rule"),)), r.completion)
        for r in rows
    ]
    return [met(j.scores[0]) for j in judge.judge(reqs)]


def grade_criteria(judge: Judge, rows: Sequence[MetaRow], again: bool) -> dict[str, Any]:
    first = criterion_verdicts(judge, rows)
    ok = [(v, r) for v, r in zip(first, rows, strict=True) if v is not None]
    m = rater_metrics([v for v, _ in ok], [list(r.labels) for _, r in ok]) if ok else {"f1_balanced": None}
    second = criterion_verdicts(judge, rows) if again else None
    return {
        "items": len(rows),
        "valid": sum(v is not None for v in first) / len(rows) if rows else None,
        "score": m["f1_balanced"],
        "ceiling": physician_ceiling(rows)["mean"],
        "again": flip_rate(first, second) if second is not None else None,
        "swap": None,
    }


# ----------------------------------------------------------------------------- pairwise


def _value(j: Judgment) -> tuple[float, float] | None:
    """(instruction followed, quality /10) of one output; None if either is unscorable."""
    hard, quality = j.scores
    if hard is None or quality is None:
        return None
    return (1.0 if met(hard) else 0.0, float(quality) if not isinstance(quality, bool) else 10.0 * quality)


def preference(a: Judgment, b: Judgment) -> int | None:
    """1 (A better), 2 (B better), 0 (tie) or None (unscorable): instruction first, quality second."""
    va, vb = _value(a), _value(b)
    if va is None or vb is None:
        return None
    return 0 if va == vb else (1 if va > vb else 2)


def pair_verdicts(judge: Judge, rows: Sequence[PairRow], swapped: bool = False) -> list[int | None]:
    reqs = [
        (JudgeRequest(r.question, PAIR_RUBRIC, r.output_1), JudgeRequest(r.question, PAIR_RUBRIC, r.output_2))
        for r in rows
    ]
    if str(getattr(getattr(judge, "mode", None), "value", getattr(judge, "mode", ""))) == "pairwise":
        asked = [(b, a) for a, b in reqs] if swapped else reqs
        out = judge.judge_pairs(asked)  # type: ignore[attr-defined]
        verdicts = [preference(y, x) if swapped else preference(x, y) for x, y in out]
    else:  # pointwise modes: both outputs on their own, in the judge's mode
        flat = judge.judge([q for pair in reqs for q in pair])
        verdicts = [preference(flat[2 * i], flat[2 * i + 1]) for i in range(len(rows))]
    return verdicts


def grade_pairs(judge: Judge, rows: Sequence[PairRow], again: bool) -> dict[str, Any]:
    first = pair_verdicts(judge, rows)
    scored = [(v, r.label) for v, r in zip(first, rows, strict=True) if v is not None]
    acc = sum(1.0 if v == lab else 0.5 if v == 0 else 0.0 for v, lab in scored) / len(scored) if scored else None
    pairwise = str(getattr(getattr(judge, "mode", None), "value", "")) == "pairwise"
    return {
        "items": len(rows),
        "valid": len(scored) / len(rows) if rows else None,
        "score": acc,
        "ties": sum(v == 0 for v, _ in scored) / len(scored) if scored else None,
        "ceiling": None,
        "again": flip_rate(first, pair_verdicts(judge, rows)) if again else None,
        "swap": flip_rate(first, pair_verdicts(judge, rows, swapped=True)) if pairwise else None,
    }


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| human labels | items | valid verdicts | agreement | human ceiling | flip: asked again | flip: A/B swapped |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        score = _fmt(r["score"]) + (f" (ties {r['ties']:.0%})" if r.get("ties") is not None else "")
        lines.append(
            f"| {name} | {r['items']} | {_fmt(r['valid'], True)} | {score} | {_fmt(r['ceiling'])} "
            f"| {_fmt(r['again'], True)} | {_fmt(r['swap'], True)} |"
        )
    return "\n".join(lines)


def describe(cfg: Any) -> str:
    j = cfg.judge
    parts = [str(j.get("_target_", "?")).rsplit(".", 1)[-1]]
    for k in ("model", "mode", "position_swap", "json_mode", "rationale_chars", "max_tokens", "temperature", "base_url"):
        if k in j and j.get(k) is not None:
            parts.append(f"{k}={j.get(k)}")
    return " ".join(parts)


def run(cfg: Any, healthbench: str | None, llmbar: str | None, limit: int | None, again: bool) -> str:
    """Grade ``cfg.judge`` (already pointed at a live server) on the given files; the printed report."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    meta = load_healthbench_meta(healthbench, limit) if healthbench else []
    pairs = load_llmbar(llmbar, limit) if llmbar else []
    node = OmegaConf.to_container(cfg.judge, resolve=True)
    judge = instantiate(node, **({"cache": False} if "cache" in node else {}))  # type: ignore[operator]
    results: dict[str, dict[str, Any]] = {}
    try:
        if meta:
            results[f"HealthBench meta-eval, per criterion (balanced F1): {Path(healthbench).name}"] = grade_criteria(judge, meta, again)
        if pairs:
            results[f"LLMBar, pairwise (accuracy, tie = 1/2): {Path(llmbar).name}"] = grade_pairs(judge, pairs, again)
    finally:
        close = getattr(judge, "close", None)
        if close is not None:
            close()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"judge: {describe(cfg)} ({stamp})\n\n{table(results)}"


def main(argv: Sequence[str] | None = None) -> int:
    from harness.compose import compose_evaluate
    from harness.models.judge_run import JudgeUnavailable, judge_for_run

    ap = argparse.ArgumentParser(prog="python -m harness.tools.judge_meta", description=__doc__.split("\n\n")[0])
    ap.add_argument("--healthbench", default=None, help="HealthBench meta-eval JSONL (oss_meta_eval.jsonl format)")
    ap.add_argument("--llmbar", default=None, help="LLMBar dataset.json, or JSONL rows of it")
    ap.add_argument("--limit", type=int, default=None, help="the first N rows of each file")
    ap.add_argument("--once", action="store_true", help="do not ask a second time (no flip rate)")
    args, overrides = ap.parse_known_args(argv)
    if not args.healthbench and not args.llmbar:
        ap.error("give --healthbench FILE and/or --llmbar FILE")
    try:
        cfg, _ = compose_evaluate(overrides)
        with judge_for_run(cfg):
            print(run(cfg, args.healthbench, args.llmbar, args.limit, not args.once), flush=True)
    except (MetaDataError, FileNotFoundError, JudgeUnavailable) as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
