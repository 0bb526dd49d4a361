"""The statistics: per-cell summaries over seeds, comparisons, and unit-free pooled tests (scipy.stats).

Benchmarks report in different units (percent, a 1-10 scale, [0, 1]), so nothing is pooled in raw
units. Each (scale, benchmark) comparison gets a rank-based effect, Cliff's delta over the seeds
(``P(a > b) - P(a < b)``, in [-1, 1]): defined with one seed and when both sides have zero spread
(common: a tiny model scores 0 on a hard benchmark for every seed), and unchanged by any increasing
transform of a benchmark's metric. The counts of positive effects, the sign test, the Wilcoxon test and the bootstrap CI are
computed on these effects; the raw deltas stay per benchmark, in their own units.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

GROUP = ("scale", "benchmark", "method")
COMPARISON_COLUMNS = ["scale", "benchmark", "target", "target_mean", "target_n", "baseline", "baseline_mean",
                      "baseline_n", "delta", "delta_ci_low", "delta_ci_high", "welch_p", "effect"]


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, low, high, n) with a Student-t interval over seeds; n < 2 -> no interval (NaN bounds)."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    sem = float(stats.sem(x))
    if sem == 0.0:  # identical seeds: the interval collapses to the mean
        return mean, mean, mean, n
    lo, hi = stats.t.interval(confidence, n - 1, loc=mean, scale=sem)
    return mean, float(lo), float(hi), n


def summarize(cells: pd.DataFrame, value: str = "score", confidence: float = 0.95) -> pd.DataFrame:
    """Per (scale, benchmark, method): n, mean, sd, ci_low, ci_high, ci_half over seeds."""
    out = []
    if value not in cells.columns:
        return pd.DataFrame(columns=[*GROUP, "n", "mean", "sd", "ci_low", "ci_high", "ci_half"])
    for (scale, bench, method), g in cells.groupby(list(GROUP), sort=True):
        vals = g[value].dropna().astype(float).tolist()
        mean, lo, hi, n = t_interval(vals, confidence)
        sd = float(np.std(vals, ddof=1)) if n >= 2 else math.nan
        out.append({"scale": scale, "benchmark": bench, "method": method, "n": n, "mean": mean, "sd": sd,
                    "ci_low": lo, "ci_high": hi, "ci_half": (hi - lo) / 2 if n >= 2 else math.nan})
    return pd.DataFrame(out)


def cliffs_delta(a: Sequence[float], b: Sequence[float]) -> float:
    """Cliff's delta ``P(a > b) - P(a < b)`` over all (a_i, b_j) pairs; NaN when a side is empty."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size == 0 or y.size == 0:
        return math.nan
    diff = x[:, None] - y[None, :]
    return float((np.sign(diff)).mean())


def compare(
    summary: pd.DataFrame, cells: pd.DataFrame, target: str = "focal", baselines: Sequence[str] = ("static", "prior"),
    value: str = "score", confidence: float = 0.95,
) -> pd.DataFrame:
    """Per (scale, benchmark): the target's mean minus the strongest baseline's (higher mean, chosen per cell),
    a Welch t-interval of that difference over seeds (>= 2 seeds on both sides), and Cliff's delta
    (``effect``, unit-free). One baseline = a plain pairwise comparison."""
    rows = []
    for (scale, bench), g in summary.groupby(["scale", "benchmark"], sort=True):
        t = g[g["method"] == target]
        b = g[g["method"].isin(baselines)].dropna(subset=["mean"])
        if t.empty or b.empty or math.isnan(float(t["mean"].iloc[0])):
            continue
        best = b.sort_values(["mean", "method"], ascending=[False, True]).iloc[0]
        tm = float(t["mean"].iloc[0])
        sel = (cells["scale"] == scale) & (cells["benchmark"] == bench)
        xt = cells.loc[sel & (cells["method"] == target), value].dropna().to_numpy(float)
        xb = cells.loc[sel & (cells["method"] == best["method"]), value].dropna().to_numpy(float)
        row = {"scale": scale, "benchmark": bench, "target": target, "target_mean": tm,
               "target_n": int(t["n"].iloc[0]), "baseline": best["method"], "baseline_mean": float(best["mean"]),
               "baseline_n": int(best["n"]), "delta": tm - float(best["mean"]),
               "delta_ci_low": math.nan, "delta_ci_high": math.nan, "welch_p": math.nan,
               "effect": cliffs_delta(xt, xb)}
        if len(xt) >= 2 and len(xb) >= 2 and (np.ptp(xt) > 0 or np.ptp(xb) > 0):
            with warnings.catch_warnings():  # one constant side: scipy warns about its zero variance
                warnings.simplefilter("ignore", RuntimeWarning)
                r = stats.ttest_ind(xt, xb, equal_var=False)
            ci = r.confidence_interval(confidence)
            row.update(delta_ci_low=float(ci.low), delta_ci_high=float(ci.high), welch_p=float(r.pvalue))
        rows.append(row)
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


@dataclass
class StatResult:
    name: str
    n: int
    statistic: float = math.nan
    pvalue: float = math.nan
    low: float = math.nan
    high: float = math.nan
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("name", "n", "statistic", "pvalue", "low", "high", "message")}


def wins(effects: Sequence[float]) -> tuple[int, int, int]:
    """(effects > 0, effects == 0, comparisons): counts of the sign of the effect (Cliff's δ), which a
    report labels as such; a "win" in a row of a table is the sign of the mean difference instead."""
    d = np.asarray(effects, dtype=float)
    return int((d > 0).sum()), int((d == 0).sum()), len(d)


def sign_test(effects: Sequence[float]) -> StatResult:
    """Two-sided exact sign test (binomial, p = 1/2) of wins against losses; ties are dropped."""
    d = np.asarray(effects, dtype=float)
    w, lost = int((d > 0).sum()), int((d < 0).sum())
    if w + lost == 0:
        return StatResult("sign", len(d), message=f"not run: no comparison with a winner (of {len(d)})")
    r = stats.binomtest(w, w + lost, 0.5)
    return StatResult("sign", len(d), float(w), float(r.pvalue),
                      message=f"{w} positive, {lost} negative, {len(d) - w - lost} zero (zeros dropped); two-sided")


def wilcoxon_test(deltas: Sequence[float]) -> StatResult:
    """One-sample Wilcoxon signed-rank test of the values (one per comparison) against 0 (two-sided, scipy defaults)."""
    d = np.asarray(deltas, dtype=float)
    n = len(d)
    if n < 2:
        return StatResult("wilcoxon", n, message=f"not run: needs >= 2 comparisons, have {n}")
    if np.all(d == 0):
        return StatResult("wilcoxon", n, message=f"not run: all {n} differences are zero")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = stats.wilcoxon(d)
    nz = int((d != 0).sum())
    msg = f"n={n} ({nz} non-zero); two-sided"
    if nz < 6:
        msg += f"; with {nz} non-zero pairs the smallest attainable exact p is {2 / 2**nz:.3g}"
    return StatResult("wilcoxon", n, float(r.statistic), float(r.pvalue), message=msg)


def bootstrap_mean_ci(
    deltas: Sequence[float], confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0
) -> StatResult:
    """BCa bootstrap CI of the mean (scipy.stats.bootstrap, seeded)."""
    d = np.asarray(deltas, dtype=float)
    n = len(d)
    if n < 2:
        return StatResult("bootstrap", n, message=f"not run: needs >= 2 comparisons, have {n}")
    mean = float(d.mean())
    if np.ptp(d) == 0:
        return StatResult("bootstrap", n, mean, low=mean, high=mean,
                          message=f"degenerate: all {n} values equal {mean:+.4g}; the interval is that point")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = stats.bootstrap((d,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                            rng=np.random.default_rng(seed))
    lo, hi = float(r.confidence_interval.low), float(r.confidence_interval.high)
    msg = f"BCa, {n_resamples} resamples, seed {seed}"
    if math.isnan(lo) or math.isnan(hi):
        msg = "BCa interval undefined for these values (degenerate resampling distribution)"
    return StatResult("bootstrap", n, mean, low=lo, high=hi, message=msg)


@dataclass
class Pooled:
    """The pooled statistics of one comparison table, all on its unit-free effects."""

    wins: tuple[int, int, int]
    sign: StatResult
    wilcoxon: StatResult
    bootstrap: StatResult

    def as_dict(self) -> dict[str, Any]:
        w, ties, n = self.wins
        return {"wins": w, "ties": ties, "losses": n - w - ties, "comparisons": n, "sign_test": self.sign.as_dict(),
                "wilcoxon": self.wilcoxon.as_dict(), "bootstrap": self.bootstrap.as_dict()}


def pool(comparisons: pd.DataFrame, confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0) -> Pooled:
    effects = comparisons["effect"].dropna().to_numpy(float)
    return Pooled(wins(effects), sign_test(effects), wilcoxon_test(effects),
                  bootstrap_mean_ci(effects, confidence, n_resamples, seed))
