"""Minimum detectable effect of a seeds-per-arm design, from the spread already in committed records.

``python -m harness.tools.power docs/results/smol_rest/records --benchmark toy_heldout --metric score ...``

For each metric: the between-seed standard deviation per method (the unit of replication is a
trained policy), pooled over methods, and the smallest true difference between two arms that the
report's two-sided Welch test (``harness.report.stats.compare``) detects with the given power at
level ``alpha``, for ``n`` seeds per arm. Computed exactly with the noncentral t distribution (equal
variances, df = 2n - 2), not the normal approximation, because n is small. Written before a study
runs, so its plan states what the design can and cannot see.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from harness.report.load import load_sweep


def power_two_sample(delta: float, sd: float, n: int, alpha: float = 0.05) -> float:
    """Power of a two-sided two-sample t test with n per arm for a true difference ``delta``."""
    if n < 2 or sd <= 0:
        return math.nan
    df = 2 * n - 2
    nc = delta / (sd * math.sqrt(2.0 / n))
    crit = stats.t.ppf(1 - alpha / 2, df)
    p = float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))
    return 1.0 if math.isnan(p) and nc > crit else p  # scipy's nct returns NaN far in the tail


def mde(sd: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest difference detected with ``power`` (two-sided, level ``alpha``, n seeds per arm)."""
    if n < 2 or sd <= 0:
        return math.nan
    return float(optimize.brentq(lambda d: power_two_sample(d, sd, n, alpha) - power, 1e-12 * sd, 30 * sd))


def pooled_sd(cells: pd.DataFrame, metric: str) -> tuple[float, dict[str, float], int]:
    """(pooled between-seed SD, SD per method, methods pooled); methods with < 2 seeds are left out."""
    per = {m: float(g[metric].dropna().std(ddof=1)) for m, g in cells.groupby("method") if g[metric].notna().sum() >= 2}
    if not per:
        return math.nan, per, 0
    return float(np.sqrt(np.mean([s**2 for s in per.values()]))), per, len(per)


def table(cells: pd.DataFrame, metrics: Sequence[str], seeds: Sequence[int], alpha: float, power: float) -> str:
    head = "| metric | methods | pooled SD | " + " | ".join(f"MDE n={n}" for n in seeds) + " |"
    lines = [head, "|---|---:|---:|" + "---:|" * len(seeds)]
    for m in metrics:
        if m not in cells:
            raise SystemExit(f"power: no metric {m!r} in the records (have: {', '.join(sorted(cells.columns))})")
        sd, _, k = pooled_sd(cells, m)
        mdes = " | ".join(f"{mde(sd, n, alpha, power):.3f}" for n in seeds)
        lines.append(f"| {m} | {k} | {sd:.3f} | {mdes} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("records", help="a sweep or records folder (cells/<cell>/result.json)")
    ap.add_argument("--benchmark", required=True)
    ap.add_argument("--metric", action="append", required=True, help="a result metric ('score' = the primary)")
    ap.add_argument("--seeds", default="2,3,4,5,6", help="seeds per arm to tabulate")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--power", type=float, default=0.8)
    args = ap.parse_args(argv)
    cells = load_sweep(args.records).cells
    cells = cells[cells["benchmark"] == args.benchmark]
    if cells.empty:
        raise SystemExit(f"power: no {args.benchmark!r} cells in {args.records}")
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"{args.records}, benchmark {args.benchmark}: {len(cells)} cells, methods "
          f"{', '.join(sorted(set(cells['method'])))}; two-sided alpha {args.alpha}, power {args.power}\n")
    print(table(cells, args.metric, seeds, args.alpha, args.power))


if __name__ == "__main__":
    main(sys.argv[1:])
