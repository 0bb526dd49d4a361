"""A :class:`Report`: the main table, the comparisons with their pooled statistics, polarization."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from harness.config import ReportConf
from harness.report.families import POLARIZATION
from harness.report.load import Sweep
from harness.report.stats import Pooled, StatResult, compare, pool, summarize


@dataclass
class Comparison:
    """``target`` against the strongest of ``baselines`` per (scale, benchmark), and the pooled statistics."""

    target: str
    baselines: tuple[str, ...]
    table: pd.DataFrame
    pooled: Pooled

    @property
    def title(self) -> str:
        if len(self.baselines) == 1:
            return f"{self.target} vs {self.baselines[0]}"
        return f"{self.target} vs the strongest of {'/'.join(self.baselines)}"


@dataclass
class Report:
    sweep: Sweep
    target: str
    baselines: tuple[str, ...]
    confidence: float
    main: pd.DataFrame
    comparisons: pd.DataFrame  # the main comparison's table (target vs strongest baseline)
    pooled: Pooled
    polarization: pd.DataFrame
    pairs: list[Comparison] = field(default_factory=list)  # the extra pairwise comparisons present in the sweep
    settings: ReportConf = field(default_factory=ReportConf)
    notes: list[str] = field(default_factory=list)

    # the main comparison's pooled numbers, by their earlier names
    @property
    def wins(self) -> tuple[int, int, int]:
        return self.pooled.wins

    @property
    def sign(self) -> StatResult:
        return self.pooled.sign

    @property
    def wilcoxon(self) -> StatResult:
        return self.pooled.wilcoxon

    @property
    def bootstrap(self) -> StatResult:
        return self.pooled.bootstrap

    @property
    def main_comparison(self) -> Comparison:
        return Comparison(self.target, self.baselines, self.comparisons, self.pooled)


def build_report(
    sweep: Sweep, target: str | None = None, baselines: Sequence[str] | None = None, confidence: float | None = None,
    n_resamples: int = 10_000, seed: int = 0, pairs: Sequence[Sequence[str]] | None = None,
) -> Report:
    """Arguments left ``None`` come from the sweep's ``report`` config node (``sweep.settings``)."""
    st = sweep.settings
    target = st.target if target is None else target
    baselines = tuple(st.baselines if baselines is None else baselines)
    confidence = st.confidence if confidence is None else confidence
    pairs = [tuple(p) for p in (st.pairs if pairs is None else pairs)]
    cells = sweep.cells
    main = summarize(cells, "score", confidence)
    comp = compare(main, cells, target, baselines, "score", confidence)
    notes = []
    methods = set(cells["method"])
    if target not in methods:
        notes.append(f"target method '{target}' is not in this sweep (methods: {', '.join(sorted(methods))}): no comparisons")
    elif not methods.intersection(baselines):
        notes.append(f"none of the baselines {', '.join(baselines)} is in this sweep: no comparisons")
    extra = []
    for p in pairs:
        if len(p) != 2:
            raise ValueError(f"report.pairs: each pair is [method, other method], got {list(p)}")
        a, b = p
        if a in methods and b in methods and (a, (b,)) != (target, baselines):
            t = compare(main, cells, a, (b,), "score", confidence)
            extra.append(Comparison(a, (b,), t, pool(t, confidence, n_resamples, seed)))
    pol = []
    for col in POLARIZATION:
        if col in cells.columns and cells[col].notna().any():
            s = summarize(cells, col, confidence)
            s.insert(3, "metric", col.split("/", 1)[1])
            pol.append(s)
    polarization = pd.concat(pol, ignore_index=True) if pol else pd.DataFrame(
        columns=["scale", "benchmark", "method", "metric", "n", "mean", "sd", "ci_low", "ci_high", "ci_half"])
    return Report(sweep, target, baselines, confidence, main, comp, pool(comp, confidence, n_resamples, seed),
                  polarization, extra, st, notes)
