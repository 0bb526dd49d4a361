"""Group-sequential boundaries and the test a look applies: O'Brien-Fleming, Lan-DeMets spending.

A study that looks at its data several times (after 8, 14, 20 seed pairs, say) must spend its
type I error across the looks or it inflates it. Boundaries are on the z scale, two-sided and
symmetric: stop for efficacy at look k when ``|z_k| >= c_k``. ``obf`` is the classical O'Brien-Fleming
shape ``c_k = C / sqrt(t_k)`` with C set for overall level alpha (Jennison & Turnbull table 2.3:
3 equal looks, alpha 0.05 -> 3.471, 2.454, 2.004); ``ld-obf`` spends alpha by the Lan-DeMets
O'Brien-Fleming-type function, alpha/2 a side by ``2 - 2 Phi(z_{1-alpha/4} / sqrt t)`` (gsDesign's
``sfLDOF``: 3 equal looks -> 3.710, 2.511, 1.993), and so takes looks at
any information fraction (a look that comes at another number of pairs than planned just spends
what the function says there). Futility bounds are non-binding: computed from a beta-spending
function of the same shape under the planned effect, never used to compute the efficacy bounds,
so ignoring them keeps the level. Crossing probabilities are computed by numerical integration
of the score process on a grid (Armitage, McPherson & Rowe; Jennison & Turnbull ch. 19), exact to
about 1e-7 here, deterministic (no Monte Carlo).

The statistic at a look is the analysis's own test (paired t over the shared seeds, or Welch),
turned into z by matching its two-sided p value (``z_from_t``), the usual route for small samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

GRID = 801  # points of the integration grid per look (Simpson)


def ld_obf_spent(t: float, alpha: float) -> float:
    """Lan-DeMets O'Brien-Fleming-type spending: two-sided alpha spent by information fraction t, each
    side spending alpha/2 by ``2 - 2 Phi(z_{1-alpha/4} / sqrt t)`` (gsDesign's ``sfLDOF``)."""
    if t <= 0:
        return 0.0
    side = 2.0 - 2.0 * stats.norm.cdf(stats.norm.ppf(1 - alpha / 4) / math.sqrt(min(t, 1.0)))
    return float(min(alpha, 2.0 * side))


def _simpson(n: int) -> np.ndarray:
    w = np.ones(n)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return w / 3.0


class ScoreProcess:
    """The sub-density of the score ``S_k = Z_k sqrt(t_k)`` on the region where no look has stopped,
    under drift ``theta`` (``E[Z]`` at full information), advanced one look at a time."""

    def __init__(self, theta: float = 0.0) -> None:
        self.theta = theta
        self.t = 0.0
        self.grid: np.ndarray | None = None  # S values
        self.dens: np.ndarray | None = None  # density times Simpson weights (a measure on the grid)

    def _moments(self, t: float) -> tuple[np.ndarray, float]:
        """(mean of S_t given each grid point, sd of the increment) for the next look at fraction t."""
        d = t - self.t
        if d <= 0:
            raise ValueError(f"looks must increase: {self.t} then {t}")
        start = np.zeros(1) if self.grid is None else self.grid
        return start + self.theta * d, math.sqrt(d)

    def _mass(self) -> np.ndarray:
        return np.ones(1) if self.dens is None else self.dens

    def below(self, t: float, z: float) -> float:
        """P(not stopped before, Z_t <= z)."""
        mu, sd = self._moments(t)
        return float(self._mass() @ stats.norm.cdf((z * math.sqrt(t) - mu) / sd))

    def above(self, t: float, z: float) -> float:
        """P(not stopped before, Z_t >= z)."""
        mu, sd = self._moments(t)
        return float(self._mass() @ stats.norm.sf((z * math.sqrt(t) - mu) / sd))

    def advance(self, t: float, lo: float, hi: float) -> None:
        """Condition on lo < Z_t < hi and move to look t."""
        mu, sd = self._moments(t)
        lo, hi = max(lo, -12.0), min(hi, 12.0)
        grid = np.linspace(lo * math.sqrt(t), hi * math.sqrt(t), GRID)
        kern = stats.norm.pdf((grid[:, None] - mu[None, :]) / sd) / sd
        step = (grid[-1] - grid[0]) / (GRID - 1)
        self.dens = (kern @ self._mass()) * _simpson(GRID) * step
        self.grid, self.t = grid, t


@dataclass(frozen=True)
class Boundaries:
    """Two-sided efficacy bounds ``|z| >= efficacy[k]``; non-binding futility ``z <= futility[k]`` (NaN: none)."""

    fractions: tuple[float, ...]
    efficacy: tuple[float, ...]
    futility: tuple[float, ...]
    spent: tuple[float, ...]  # cumulative two-sided alpha at each look
    alpha: float
    kind: str


def _check(fractions: Sequence[float]) -> list[float]:
    t = [float(x) for x in fractions]
    if not t or any(b <= a for a, b in zip(t, t[1:], strict=False)) or t[0] <= 0 or t[-1] > 1 + 1e-12:
        raise ValueError(f"information fractions must increase within (0, 1]: {t}")
    return t


def crossing(fractions: Sequence[float], efficacy: Sequence[float], theta: float = 0.0,
             futility: Sequence[float] | None = None) -> list[float]:
    """Probability of stopping for efficacy (either side) at each look under drift ``theta``; with
    ``futility`` the region below it stops too (for power when futility is followed)."""
    proc, out = ScoreProcess(theta), []
    fut = list(futility) if futility is not None else [math.nan] * len(fractions)
    for t, c, f in zip(_check(fractions), efficacy, fut, strict=True):
        out.append(proc.above(t, c) + proc.below(t, -c))
        proc.advance(t, -c if math.isnan(f) else max(-c, f), c)
    return out


def efficacy_bounds(fractions: Sequence[float], alpha: float = 0.05, kind: str = "ld-obf") -> list[float]:
    t = _check(fractions)
    if kind == "obf":
        def level(cst: float) -> float:
            return sum(crossing(t, [cst / math.sqrt(x) for x in t])) - alpha

        cst = optimize.brentq(level, 0.5, 10.0, xtol=1e-10)
        return [cst / math.sqrt(x) for x in t]
    if kind != "ld-obf":
        raise ValueError(f"boundary kind must be obf or ld-obf, got {kind!r}")
    proc, bounds, spent = ScoreProcess(), [], 0.0
    for x in t:
        target = ld_obf_spent(x, alpha) - spent
        if target <= 1e-15:
            c = 12.0
        else:
            c = optimize.brentq(lambda c, x=x, target=target: 2 * proc.above(x, c) - target, 0.0, 12.0, xtol=1e-10)
        bounds.append(c)
        spent += 2 * proc.above(x, c)
        proc.advance(x, -c, c)
    return bounds


def futility_bounds(fractions: Sequence[float], efficacy: Sequence[float], theta: float,
                    beta: float = 0.2) -> list[float]:
    """Non-binding futility bounds at the interim looks (NaN at the last): spend ``beta`` by the
    O'Brien-Fleming-type function under drift ``theta`` (the planned effect)."""
    t = _check(fractions)
    proc, out, spent = ScoreProcess(theta), [], 0.0
    for i, (x, c) in enumerate(zip(t, efficacy, strict=True)):
        if i == len(t) - 1:
            out.append(math.nan)
            break
        target = ld_obf_spent(x, 2 * beta) / 2 - spent
        if target <= 1e-12:
            f = -12.0
        elif proc.below(x, c) <= target:  # an effect so large that all the mass below c is less than the spend
            f = c
        else:
            f = optimize.brentq(lambda f, x=x, target=target: proc.below(x, f) - target, -12.0, c, xtol=1e-10)
        f = min(f, c)
        out.append(f)
        spent += proc.below(x, f)
        proc.advance(x, max(-c, f), c)
    return out


def boundaries(fractions: Sequence[float], alpha: float = 0.05, kind: str = "ld-obf", theta: float | None = None,
               beta: float = 0.2) -> Boundaries:
    """Efficacy bounds, and futility bounds when the planned drift ``theta`` is given."""
    t = _check(fractions)
    eff = efficacy_bounds(t, alpha, kind)
    fut = futility_bounds(t, eff, theta, beta) if theta is not None else [math.nan] * len(t)
    spent = np.cumsum(crossing(t, eff)).tolist()
    return Boundaries(tuple(t), tuple(eff), tuple(fut), tuple(spent), alpha, kind)


def drift_for_power(fractions: Sequence[float], efficacy: Sequence[float], power: float = 0.8) -> float:
    """The drift (E[Z] at the last look) at which the bounds reject with probability ``power``,
    futility ignored (non-binding); divided by z_{1-alpha/2} + z_power it gives the inflation."""
    return float(optimize.brentq(lambda th: sum(crossing(fractions, efficacy, th)) - power, 0.0, 15.0, xtol=1e-8))


def z_from_t(t_stat: float, df: float) -> float:
    """The z with the same two-sided p value (and sign) as a t statistic on ``df`` degrees of freedom."""
    if math.isnan(t_stat) or df <= 0:
        return math.nan
    p_one = stats.t.sf(abs(t_stat), df)
    return math.copysign(float(stats.norm.isf(p_one)), t_stat)


def decide(z: float, look: int, bounds: Boundaries) -> str:
    """What look ``look`` (0-based) says for an observed z: ``stop: detected``, ``stop: futility (non-binding)``,
    ``stop: not detected`` (the last look) or ``continue``."""
    if math.isnan(z):
        return "no statistic"
    last = look >= len(bounds.efficacy) - 1
    if abs(z) >= bounds.efficacy[look]:
        return "stop: detected"
    if last:
        return "stop: not detected"
    f = bounds.futility[look]
    if not math.isnan(f) and z <= f:
        return "stop: futility (non-binding)"
    return "continue"


@dataclass(frozen=True)
class Test:
    """One outcome's test at a look: the target minus the baseline over seeds."""

    design: str  # paired | unpaired
    n: int  # shared seeds (paired) or the smaller arm (unpaired)
    delta: float
    low: float
    high: float
    t: float
    df: float
    p: float

    @property
    def z(self) -> float:
        return z_from_t(self.t, self.df)


def run_test(target: Sequence[float] | dict, baseline: Sequence[float] | dict, design: str = "paired",
             confidence: float = 0.95) -> Test:
    """The analysis's test: a paired t over the seeds both arms have (``target`` and ``baseline`` as
    {seed: value}), or Welch's t (any values). NaN fields where it cannot run (n < 2, no spread)."""
    import warnings

    if design == "paired":
        seeds = sorted(set(target) & set(baseline))  # type: ignore[arg-type]
        d = np.array([target[s] - baseline[s] for s in seeds], dtype=float)  # type: ignore[index]
        d = d[~np.isnan(d)]
        n = len(d)
        if n < 2 or np.ptp(d) == 0:
            mean = float(d.mean()) if n else math.nan
            return Test(design, n, mean, math.nan, math.nan, math.nan, max(n - 1, 0), math.nan)
        r = stats.ttest_1samp(d, 0.0)
        ci = r.confidence_interval(confidence)
        return Test(design, n, float(d.mean()), float(ci.low), float(ci.high), float(r.statistic), n - 1.0,
                    float(r.pvalue))
    if design != "unpaired":
        raise ValueError(f"design must be paired or unpaired, got {design!r}")
    x = np.asarray(list(target.values()) if isinstance(target, dict) else target, dtype=float)
    y = np.asarray(list(baseline.values()) if isinstance(baseline, dict) else baseline, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    n = min(len(x), len(y))
    delta = float(x.mean() - y.mean()) if n else math.nan
    if n < 2 or (np.ptp(x) == 0 and np.ptp(y) == 0):
        return Test(design, n, delta, math.nan, math.nan, math.nan, math.nan, math.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = stats.ttest_ind(x, y, equal_var=False)
    ci = r.confidence_interval(confidence)
    return Test(design, n, delta, float(ci.low), float(ci.high), float(r.statistic), float(r.df), float(r.pvalue))


def look_of(n: int, looks: Sequence[int]) -> int | None:
    """The last planned look (0-based) that ``n`` pairs reach, or None before the first."""
    reached = [i for i, k in enumerate(looks) if n >= k]
    return reached[-1] if reached else None


MEAN = "mean:"


def metric_column(cells, metric: str):
    """A metric's values per cell, or None when the records lack it. ``mean:a,b,c`` is the macro-average
    of metrics a, b, c (each criterion weighs the same, so no single one dominates an outcome)."""
    if metric.startswith(MEAN):
        parts = [m.strip() for m in metric[len(MEAN):].split(",") if m.strip()]
        if not parts or any(p not in cells for p in parts):
            return None
        return cells[parts].mean(axis=1, skipna=False)
    return cells[metric] if metric in cells else None
