"""Files and the thin CLI: ``python -m harness.report runs/<sweep> [--out DIR] [--target T] [--baselines a,b]
[--records DIR]``.

Writes ``report.md``, CSV tables, ``statistics.json`` and PNG plots to ``<sweep>/report/`` (or
``--out``) and prints the tables. Target, baselines and pairs default to the sweep's own ``report``
config node (``conf``: ``report.target`` ...), so the CLI and the post-sweep report agree.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness.records.export import check_destination, export_records
from harness.report.build import Report, build_report
from harness.report.load import ReportError, load_sweep
from harness.report.plots import plot_curves, plot_dimensions
from harness.report.render import (
    render_comparisons,
    render_main_table,
    render_markdown,
    render_missing,
    render_pairs,
    render_polarization,
    render_statistics,
    render_training_end,
)

EFFECT = "Cliff's delta over seeds per (scale, benchmark): P(target > other) - P(target < other)"


def statistics(rep: Report) -> dict[str, Any]:
    """What ``statistics.json`` holds: the main comparison's pooled numbers, then each extra pair's."""
    return {
        "target": rep.target, "baselines": list(rep.baselines), "confidence": rep.confidence, "effect": EFFECT,
        **rep.pooled.as_dict(),
        "pairs": [{"target": c.target, "other": c.baselines[0], **c.pooled.as_dict()} for c in rep.pairs],
        "missing": rep.sweep.missing, "incomplete": rep.sweep.incomplete, "duplicates": rep.sweep.duplicates,
        "notes": rep.notes,
    }


def write_report(rep: Report, out: Path, plots: bool = True) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {
        "cells.csv": rep.sweep.cells,
        "main_table.csv": rep.main,
        "comparisons.csv": rep.comparisons,
        "polarization.csv": rep.polarization,
    }
    for c in rep.pairs:
        tables[f"comparisons_{c.target}_vs_{c.baselines[0]}.csv"] = c.table
    for name, df in tables.items():
        df.to_csv(out / name, index=False)
        written.append(out / name)
    for stale in [*out.glob("curves_*.png"), *out.glob("dimensions_*.png")]:  # plots of an earlier run
        stale.unlink()
    figs: list[Path] = []
    if plots:
        figs = plot_curves(rep.sweep.curves, out, rep.settings) + plot_dimensions(rep.sweep.cells, out, rep.confidence)
    (out / "statistics.json").write_text(json.dumps(_json_safe(statistics(rep)), indent=2, allow_nan=False) + "\n")
    (out / "report.md").write_text(render_markdown(rep, figs))
    return [*written, out / "statistics.json", out / "report.md", *figs]


def _json_safe(o: Any) -> Any:
    """NaN -> null (strict JSON), numpy scalars -> Python numbers."""
    if isinstance(o, dict):
        return {str(k): _json_safe(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_json_safe(v) for v in o]
    if isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o


def render_text(rep: Report) -> str:
    """Every table the CLI and the post-sweep callback print, in order."""
    parts = [render_main_table(rep), render_statistics(rep), render_comparisons(rep)]
    if rep.pairs:
        parts.append(render_pairs(rep))
    parts.append(render_polarization(rep))
    tend = render_training_end(rep.sweep.curves, rep.settings, confidence=rep.confidence)
    if tend:
        parts.append(tend)
    return "\n\n".join(parts)


def _csv(s: str | None) -> list[str] | None:
    return None if s is None else [x.strip() for x in s.split(",") if x.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m harness.report", description=__doc__.split("\n\n")[0])
    ap.add_argument("sweep", type=Path, help="sweep folder, e.g. runs/<sweep>")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default <sweep>/report)")
    ap.add_argument("--target", default=None, help="method compared against the baselines (default: the sweep's "
                    "report.target, else focal)")
    ap.add_argument("--baselines", default=None, help="comma-separated static baselines (default: the sweep's "
                    "report.baselines, else static,prior)")
    ap.add_argument("--pair", action="append", default=None, metavar="A,B",
                    help="an extra pairwise comparison A - B (repeatable; default: the sweep's report.pairs, "
                    "else focal,pow3r); each runs when both methods are in the sweep")
    ap.add_argument("--confidence", type=float, default=None)
    ap.add_argument("--n-resamples", type=int, default=10_000, help="bootstrap resamples")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap RNG seed")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--records", type=Path, default=None, metavar="DIR",
                    help="also copy the files the report reads (finished cells and policies, no weights) to DIR, "
                         "replacing it: KB per cell, to commit beside the report; DIR can be reported on, or copied to runs/<sweep> to resume")
    ap.add_argument("--wandb", action="store_true",
                    help="also publish a W&B report with the same panels (needs WANDB_API_KEY and network)")
    ap.add_argument("--entity", default=None, help="W&B entity (default: the runs' tracking.entity)")
    ap.add_argument("--project", default=None, help="W&B project (default: the runs' tracking.project)")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pairs = None if args.pair is None else [_csv(p) for p in args.pair]
    if pairs is not None and any(len(p) != 2 for p in pairs):
        print(f"harness.report: --pair takes two comma-separated methods, got {args.pair}", file=sys.stderr)
        return 2
    why = args.records and check_destination(args.sweep, args.records)
    if why:
        print(f"harness.report: {why}", file=sys.stderr)
        return 2
    try:
        sweep = load_sweep(args.sweep)
    except ReportError as e:
        print(f"harness.report: {e}", file=sys.stderr)
        return 2
    rep = build_report(sweep, args.target, _csv(args.baselines), args.confidence, args.n_resamples, args.seed, pairs)
    out = args.out or (sweep.root / "report")
    files = write_report(rep, out, plots=not args.no_plots)
    miss = render_missing(sweep)
    if miss:
        print(miss + "\n")
    print(render_text(rep) + "\n")
    print(f"wrote {len(files)} files to {out}/ (report.md, *.csv, statistics.json, {sum(f.suffix == '.png' for f in files)} PNG)")
    if args.records is not None:
        print(f"copied {export_records(sweep.root, args.records)} record files to {args.records}/")
    if args.wandb:
        from harness.report.wandb_report import publish

        print(publish(rep, entity=args.entity, project=args.project))
    return 0
