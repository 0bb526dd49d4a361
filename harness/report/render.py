"""Markdown for every table and the statistics (``harness.report.tables`` renders the tables)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from harness.config import ReportConf
from harness.report.build import Comparison, Report
from harness.report.families import POLARIZATION
from harness.report.load import Sweep
from harness.report.stats import GROUP, t_interval
from harness.report.tables import markdown
from harness.report.training import training_end


def fmt_ci(mean: float, half: float, n: int, digits: int = 3) -> str:
    if n == 0 or math.isnan(mean):
        return "—"
    if n < 2 or math.isnan(half):
        return f"{mean:.{digits}f} (n={n}, no CI)"
    return f"{mean:.{digits}f} ± {half:.{digits}f} (n={n})"


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    return markdown(header, rows)


def _pct(confidence: float) -> int:
    return int(round(confidence * 100))


def render_main_table(rep: Report) -> str:
    """Rows: scale x method (then the target's delta per scale); columns: benchmarks."""
    m = rep.main
    benches = sorted(set(m["benchmark"]))
    rows = []
    for scale in sorted(set(m["scale"])):
        for method in sorted(set(m.loc[m["scale"] == scale, "method"])):
            cells = []
            for b in benches:
                r = m[(m["scale"] == scale) & (m["method"] == method) & (m["benchmark"] == b)]
                cells.append(fmt_ci(float(r["mean"].iloc[0]), float(r["ci_half"].iloc[0]), int(r["n"].iloc[0]))
                             if len(r) else "missing")
            name = f"**{method}**" if method == rep.target else method
            rows.append([scale, name, *cells])
        c = rep.comparisons[rep.comparisons["scale"] == scale]
        if len(c):
            cells = []
            for b in benches:
                r = c[c["benchmark"] == b]
                cells.append(f"{float(r['delta'].iloc[0]):+.3f} vs {r['baseline'].iloc[0]}" if len(r) else "—")
            rows.append([scale, f"Δ {rep.target} − best static", *cells])
    primaries = ", ".join(f"{b}: {p}" for b, p in sorted(set(zip(rep.sweep.cells["benchmark"], rep.sweep.cells["primary"], strict=True))))
    head = (f"Headline metric per benchmark ({primaries}); mean ± {_pct(rep.confidence)}% t-interval "
            "half-width over seeds; each benchmark in its own units.")
    return head + "\n\n" + md_table(["scale", "method", *benches], rows)


def render_pooled(c: Comparison, confidence: float) -> str:
    """The pooled statistics of one comparison, every one of them on the unit-free effects."""
    p = c.pooled
    w, ties, n = p.wins
    against = c.baselines[0] if len(c.baselines) == 1 else f"the strongest of {'/'.join(c.baselines)}"
    lines = [f"- **Cliff's δ > 0**: {c.target} against {against} in **{w} of {n}** (scale, benchmark) comparisons"
             + (f" ({ties} with δ = 0)" if ties else "")
             + " (the sign of Cliff's δ, not of the mean difference Δ: the two can differ)"]
    s = p.sign
    lines.append("- **sign test** (δ > 0 against δ < 0): " + (s.message if math.isnan(s.pvalue)
                                                          else f"p = {s.pvalue:.4g} ({s.message})"))
    wt = p.wilcoxon
    if math.isnan(wt.pvalue):
        lines.append(f"- **Wilcoxon signed-rank** of the effects: {wt.message}")
    else:
        lines.append(f"- **Wilcoxon signed-rank** of the effects: W = {wt.statistic:g}, p = {wt.pvalue:.4g} ({wt.message})")
    bt = p.bootstrap
    label = f"- **bootstrap {_pct(confidence)}% CI of the mean effect**"
    if math.isnan(bt.low):
        extra = f"mean effect = {bt.statistic:+.4f}; " if not math.isnan(bt.statistic) else ""
        lines.append(f"{label}: {extra}{bt.message}")
    else:
        lines.append(f"{label}: {bt.statistic:+.4f} [{bt.low:+.4f}, {bt.high:+.4f}] ({bt.message})")
    return "\n".join(lines)


EFFECT_NOTE = ("- effect = Cliff's δ over seeds, P(target > other) − P(target < other) in [−1, 1]: unit-free, "
               "so benchmarks in percent, on 1-10 or in [0, 1] pool alike; Δ stays in each benchmark's units")


def render_statistics(rep: Report) -> str:
    lines = [render_pooled(rep.main_comparison, rep.confidence), EFFECT_NOTE]
    if len(rep.baselines) > 1:
        lines.append("- the strongest baseline is chosen per (scale, benchmark) as the one with the higher mean "
                     "(as the paper does); this selection favours the baseline")
    lines += [f"- note: {x}" for x in rep.notes]
    return "\n".join(lines)


def render_comparison_table(c: Comparison, confidence: float) -> str:
    if c.table.empty:
        return "_no comparisons (the target or every baseline is missing)_"
    rows = []
    for r in c.table.itertuples(index=False):
        ci = "n/a (needs ≥ 2 seeds each)" if math.isnan(r.delta_ci_low) else f"[{r.delta_ci_low:+.3f}, {r.delta_ci_high:+.3f}]"
        p = "n/a" if math.isnan(r.welch_p) else f"{r.welch_p:.3g}"
        win = "yes" if r.delta > 0 else ("tie" if r.delta == 0 else "no")  # the sign of the mean difference
        rows.append([r.scale, r.benchmark, f"{r.target_mean:.3f} (n={r.target_n})", r.baseline,
                     f"{r.baseline_mean:.3f} (n={r.baseline_n})", f"{r.delta:+.3f}", ci, p, f"{r.effect:+.3f}", win])
    other = "other" if len(c.baselines) == 1 else "best baseline"
    return md_table(["scale", "benchmark", c.target, other, "its mean", "Δ (own units)",
                     f"Δ {_pct(confidence)}% Welch CI over seeds", "Welch p", "effect (Cliff's δ)", "win (Δ > 0)"], rows)


def render_comparisons(rep: Report) -> str:
    return render_comparison_table(rep.main_comparison, rep.confidence)


def render_pairs(rep: Report) -> str:
    """Each extra pairwise comparison (``report.pairs``, e.g. focal vs pow3r): statistics, then table."""
    out = []
    for c in rep.pairs:
        out += [f"### {c.title}", "", render_pooled(c, rep.confidence), "", render_comparison_table(c, rep.confidence), ""]
    return "\n".join(out).rstrip()


def render_polarization(rep: Report) -> str:
    p = rep.polarization
    if p.empty or p["n"].sum() == 0:
        return "_no polarization metrics in the results_"
    metrics = [k.split("/", 1)[1] for k in POLARIZATION if k.split("/", 1)[1] in set(p["metric"])]
    rows = []
    for (scale, bench, method), g in p.groupby(list(GROUP), sort=True):
        vals = {r.metric: fmt_ci(r.mean, r.ci_half, int(r.n)) for r in g.itertuples(index=False)}
        rows.append([scale, bench, method, *(vals.get(m, "—") for m in metrics)])
    return md_table(["scale", "benchmark", "method", *(POLARIZATION[f"polarization/{m}"] for m in metrics)], rows)


def render_training_end(curves: pd.DataFrame, settings: ReportConf | None = None, confidence: float = 0.95) -> str:
    """Markdown: the end-of-training values per method (mean ± t-interval over seeds)."""
    settings = settings or ReportConf()
    end = training_end(curves, settings)
    if end.empty:
        return ""
    cols = [c for c in end.columns[3:] if end[c].notna().any()]
    if not cols:
        return ""
    rows = []
    for (scale, method), g in end.groupby(["scale", "method"], sort=True):
        cells = []
        for c in cols:
            m, lo, hi, n = t_interval(g[c].tolist(), confidence)
            cells.append(fmt_ci(m, (hi - lo) / 2 if n > 1 else float("nan"), n))
        rows.append([scale, method, *cells])
    head = (f"Training rollouts at the end (mean of the last {settings.last_steps} logged steps per policy; "
            f"mean ± {_pct(confidence)}% t-interval over seeds; columns from the `report` config: "
            "`train_end`, `train_end_tags`, `worst`).")
    return head + "\n\n" + md_table(["scale", "method", *cols], rows)


def render_missing(sweep: Sweep) -> str:
    lines = []
    if sweep.missing:
        lines.append(f"{len(sweep.missing)} expected cell(s) missing or incomplete "
                     "(grid = observed methods × scales × benchmarks × seeds):")
        lines += [f"  - {m['method']} / {m['scale']} / {m['benchmark']} / seed {m['seed']}" for m in sweep.missing]
    if sweep.incomplete:
        lines.append(f"{len(sweep.incomplete)} incomplete cell folder(s) (no DONE or result.json, or a stale DONE):")
        lines += [f"  - cells/{c}" for c in sweep.incomplete]
    if sweep.duplicates:
        lines.append(f"{len(sweep.duplicates)} superseded cell folder(s) (same method/scale/benchmark/seed, older result; ignored):")
        lines += [f"  - cells/{c}" for c in sweep.duplicates]
    return "\n".join(lines)


def render_markdown(rep: Report, plots: Sequence[Path] = ()) -> str:
    s = rep.sweep
    c = s.cells
    out = [
        f"# Report: sweep `{s.root.name}`",
        "",
        f"{len(c)} complete cell(s): methods {', '.join(sorted(set(c['method'])))}; scales {', '.join(sorted(set(c['scale'])))}; "
        f"benchmarks {', '.join(sorted(set(c['benchmark'])))}; seeds {', '.join(map(str, sorted(set(c['seed']))))}.",
        "",
    ]
    miss = render_missing(s)
    if miss:
        out += ["## Missing or incomplete cells", "", "```", miss, "```", ""]
    out += ["## Main table", "", render_main_table(rep), "", "## Target vs strongest static baseline", "",
            render_statistics(rep), "", render_comparisons(rep), ""]
    if rep.pairs:
        out += ["## Pairwise comparisons", "", render_pairs(rep), ""]
    out += ["## Polarization", "", render_polarization(rep), ""]
    tend = render_training_end(s.curves, rep.settings, confidence=rep.confidence)
    if tend:
        out += ["## Training end", "", tend, ""]
    if plots:
        out += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots] + [""]
    return "\n".join(out)
