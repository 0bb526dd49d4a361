"""Plan a comparison from pilot records: ``python -m harness.tools.plan RECORDS --benchmark B --metric M``.

Sizes a study with the test its analysis will run: a paired t over the seeds both arms share
(``--design paired``, the default: the same seed gives every arm the same first rollouts) or Welch's
t (``--design unpaired``). From the pilot's spread it prints the seed pairs (or seeds per arm)
needed to detect each ``--delta`` with ``--power`` at two-sided ``--alpha``: exact for the paired t
(noncentral t), by seeded simulation of Welch's test itself for the unpaired design (its degrees of
freedom are estimated, so no closed form holds at small n). Then the group-sequential schedule
(``harness.report.sequential``): efficacy bounds at each look (Lan-DeMets O'Brien-Fleming spending by
default), non-binding futility bounds under the planned effect, and the pairs needed at the last
look for the same power. ``--looks 8,14,20`` plans looks at those pairs; ``--looks 3`` spaces three
looks evenly up to the pairs needed.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from harness.report.load import load_sweep
from harness.report.sequential import boundaries, crossing, drift_for_power, metric_column
from harness.report.tables import markdown

MAX_N = 2000


def power_paired(delta: float, sd_diff: float, n: int, alpha: float = 0.05) -> float:
    """Power of the two-sided one-sample t test of n paired differences with SD ``sd_diff``."""
    if n < 2 or sd_diff <= 0:
        return math.nan
    df, nc = n - 1, delta * math.sqrt(n) / sd_diff
    crit = stats.t.ppf(1 - alpha / 2, df)
    p = float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))
    return 1.0 if math.isnan(p) and abs(nc) > crit else p


def power_welch(delta: float, sd_a: float, sd_b: float, n: int, alpha: float = 0.05, sims: int = 20_000,
                seed: int = 0) -> float:
    """Power of Welch's two-sided t test with n seeds per arm, by simulating the test on normal data."""
    if n < 2:
        return math.nan
    rng = np.random.default_rng(seed)
    x = rng.normal(delta, sd_a, (sims, n))
    y = rng.normal(0.0, sd_b, (sims, n))
    r = stats.ttest_ind(x, y, axis=1, equal_var=False)
    return float(np.mean(r.pvalue < alpha))


def mde_paired(sd_diff: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest difference the paired t over n pairs detects with ``power`` (NaN for n < 2 or no spread)."""
    from scipy import optimize

    if n < 2 or not sd_diff > 0:
        return math.nan
    return float(optimize.brentq(lambda d: power_paired(d, sd_diff, n, alpha) - power, 1e-12 * sd_diff, 50 * sd_diff))


def smallest_n(power_of, target: float) -> int | None:
    """The smallest n >= 2 whose power reaches ``target`` (power grows with n), or None below MAX_N."""
    lo, hi = 2, 2
    while power_of(hi) < target:
        if hi >= MAX_N:
            return None
        lo, hi = hi, min(hi * 2, MAX_N)
    while lo < hi:
        mid = (lo + hi) // 2
        if power_of(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def pilot(cells: pd.DataFrame, metric: str, target: str, baseline: str) -> dict[str, float]:
    """The pilot's spread of ``metric``: each arm's SD over seeds and the SD of the paired differences."""
    values = metric_column(cells, metric)
    if values is None:
        raise SystemExit(f"plan: no metric {metric!r} in the records (have: {', '.join(sorted(cells.columns))})")
    cells = cells.assign(_outcome=values)
    arms = {}
    for arm in (target, baseline):
        sub = cells[cells["method"] == arm].dropna(subset=["_outcome"])
        if sub.empty:
            raise SystemExit(f"plan: no {arm!r} cells with {metric!r} in the records")
        arms[arm] = sub.groupby("seed")["_outcome"].mean()
    a, b = arms[target], arms[baseline]
    shared = sorted(set(a.index) & set(b.index))
    d = (a[shared] - b[shared]).to_numpy(float)
    return {"n_a": len(a), "n_b": len(b), "pairs": len(shared), "mean_a": float(a.mean()), "mean_b": float(b.mean()),
            "sd_a": float(a.std(ddof=1)), "sd_b": float(b.std(ddof=1)),
            "sd_diff": float(np.std(d, ddof=1)) if len(d) >= 2 else math.nan,
            "corr": float(np.corrcoef(a[shared], b[shared])[0, 1]) if len(d) >= 3 else math.nan}


def sd_bound(sd: float, n: int, level: float | None) -> float:
    """The pilot's SD, or (``level``) its upper one-sided confidence bound ``s sqrt((n-1) / chi2_{1-level, n-1})``:
    a pilot of 3 seeds estimates an SD to within a factor of about 2, and planning on the point estimate
    then gives a study with far less power than stated."""
    if level is None or n < 2 or math.isnan(sd):
        return sd
    return sd * math.sqrt((n - 1) / stats.chi2.ppf(1 - level, n - 1))


def needed(p: dict[str, float], delta: float, design: str, alpha: float, power: float, sims: int) -> int | None:
    if design == "paired":
        return smallest_n(lambda n: power_paired(delta, p["sd_diff"], n, alpha), power)
    return smallest_n(lambda n: power_welch(delta, p["sd_a"], p["sd_b"], n, alpha, sims), power)


def schedule(looks: Sequence[int], sd: float, delta: float, alpha: float, power: float, kind: str) -> dict:
    """Bounds at the looks (pair counts), the power they give at ``delta`` (normal approximation, SD of
    the differences ``sd``), and the inflation of the last look's pairs that keeps ``power``."""
    frac = [n / looks[-1] for n in looks]
    z_fixed = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    theta = delta / sd * math.sqrt(looks[-1]) if sd > 0 else math.nan
    bounds = boundaries(frac, alpha, kind, theta if math.isfinite(theta) else None, 1 - power)
    inflation = (drift_for_power(frac, bounds.efficacy, power) / z_fixed) ** 2
    achieved = sum(crossing(frac, bounds.efficacy, theta)) if math.isfinite(theta) else math.nan
    return {"bounds": bounds, "inflation": inflation, "power": achieved}


def render(cells: pd.DataFrame, args: argparse.Namespace) -> str:
    out = []
    for metric in args.metric:
        p = pilot(cells, metric, args.target, args.baseline)
        if args.sd_bound is not None:
            p["sd_diff"] = sd_bound(p["sd_diff"], p["pairs"], args.sd_bound)
            p["sd_a"], p["sd_b"] = sd_bound(p["sd_a"], p["n_a"], args.sd_bound), sd_bound(p["sd_b"], p["n_b"], args.sd_bound)
        if args.design == "paired" and p["pairs"] < 2:
            raise SystemExit(f"plan: {metric}: {p['pairs']} seed(s) shared by {args.target} and {args.baseline}; "
                             "a paired plan needs >= 2 (or use --design unpaired)")
        out += [f"## {metric}: {args.target} vs {args.baseline} ({args.design}, two-sided alpha {args.alpha}, "
                f"power {args.power})", "",
                *([f"SDs below are the pilot's upper {args.sd_bound:.0%} confidence bounds", ""] if args.sd_bound else []),
                markdown(["seeds", "shared", f"{args.target} mean (SD)", f"{args.baseline} mean (SD)",
                          "SD of paired differences", "correlation"],
                         [[f"{p['n_a']}, {p['n_b']}", p["pairs"], f"{p['mean_a']:.3f} ({p['sd_a']:.3f})",
                           f"{p['mean_b']:.3f} ({p['sd_b']:.3f})", f"{p['sd_diff']:.3f}",
                           "n/a" if math.isnan(p["corr"]) else f"{p['corr']:.2f}"]]), ""]
        rows = []
        for delta in args.delta:
            paired = needed(p, delta, "paired", args.alpha, args.power, args.sims) if p["pairs"] >= 2 else None
            welch = needed(p, delta, "unpaired", args.alpha, args.power, args.sims)
            rows.append([f"{delta:g}", "n/a" if paired is None else str(paired),
                         f"> {MAX_N}" if welch is None else str(welch)])
        out += ["fixed design (one analysis at the end):", "",
                markdown(["difference", "seed pairs (paired t)", "seeds per arm (Welch)"], rows), ""]
        sd = p["sd_diff"] if args.design == "paired" else math.sqrt(p["sd_a"] ** 2 + p["sd_b"] ** 2)
        for delta in args.delta:
            n_fixed = needed(p, delta, args.design, args.alpha, args.power, args.sims)
            looks = planned_looks(args.looks, n_fixed)
            if looks is None:
                continue
            s = schedule(looks, sd, delta, args.alpha, args.power, args.boundary)
            if "," not in args.looks:  # evenly spaced: the last look at the fixed design's pairs x the inflation
                looks = planned_looks(args.looks, math.ceil(n_fixed * s["inflation"]))
                s = schedule(looks, sd, delta, args.alpha, args.power, args.boundary)
            b = s["bounds"]
            rows = [[k + 1, n, f"{t:.2f}", f"{c:.3f}", f"{2 * stats.norm.sf(c):.4f}",
                     "-" if math.isnan(f) else f"{f:.3f}", f"{a:.4f}"]
                    for k, (n, t, c, f, a) in enumerate(zip(looks, b.fractions, b.efficacy, b.futility, b.spent,
                                                             strict=True))]
            out += [f"group-sequential at difference {delta:g} ({args.boundary}; stop when |z| >= the bound; "
                    "futility non-binding, z <= its bound):", "",
                    markdown(["look", "pairs" if args.design == "paired" else "seeds per arm", "information",
                              "efficacy |z| >=", "nominal p <", "futility z <=", "alpha spent"], rows), "",
                    f"power at these looks: {s['power']:.2f} (normal approximation); the looks need "
                    f"{s['inflation']:.3f} x the fixed design's pairs for power {args.power}", ""]
    return "\n".join(out)


def planned_looks(spec: str, n_fixed: int | None) -> list[int] | None:
    """Pair counts at each look: given (``8,14,20``), or K evenly spaced up to the fixed design's n."""
    parts = [int(x) for x in spec.split(",") if x.strip()]
    if len(parts) > 1:
        if any(b <= a for a, b in zip(parts, parts[1:], strict=False)) or parts[0] < 2:
            raise SystemExit(f"plan: --looks {spec}: pair counts must increase from >= 2")
        return parts
    if n_fixed is None:
        return None
    k = parts[0]
    return sorted({max(2, math.ceil(n_fixed * (i + 1) / k)) for i in range(k)})


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.tools.plan", description=__doc__.split("\n\n")[0])
    ap.add_argument("records", help="pilot records: a sweep or records folder (cells/<cell>/result.json)")
    ap.add_argument("--benchmark", required=True)
    ap.add_argument("--metric", action="append", required=True,
                    help="a result metric ('score' = the primary; 'mean:a,b' = the macro-average of a and b)")
    ap.add_argument("--target", default="focal")
    ap.add_argument("--baseline", default="static")
    ap.add_argument("--delta", type=float, action="append", default=None, help="difference to detect (repeatable)")
    ap.add_argument("--design", choices=("paired", "unpaired"), default="paired")
    ap.add_argument("--looks", default="3", help="pair counts (8,14,20) or a number of evenly spaced looks")
    ap.add_argument("--boundary", choices=("ld-obf", "obf"), default="ld-obf")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--power", type=float, default=0.8)
    ap.add_argument("--sd-bound", type=float, default=None,
                    help="plan on the SDs' upper one-sided confidence bound at this level (e.g. 0.8), not the estimate")
    ap.add_argument("--sims", type=int, default=20_000, help="simulations per Welch power (seeded)")
    args = ap.parse_args(argv)
    args.delta = args.delta or [0.02, 0.05, 0.1]
    cells = load_sweep(args.records).cells
    cells = cells[cells["benchmark"] == args.benchmark]
    if cells.empty:
        raise SystemExit(f"plan: no {args.benchmark!r} cells in {args.records}")
    print(render(cells, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
