"""PNG plots: training curves per family (mean over seeds, min-max band) and per-dimension bars."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from harness.config import ReportConf
from harness.report.families import curve_families, reward_family, smoothed
from harness.report.stats import t_interval

MARKERS = ("o", "s", "^", "D", "v", "P", "X")
STYLES = ("-", "--", ":", "-.")
SMOOTH_STEPS = 5


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)


def plot_curves(curves: pd.DataFrame, out: Path, settings: ReportConf | None = None) -> list[Path]:
    """Per scale and family: one subplot per key, one line per method (mean over seeds, min-max band)."""
    files = []
    if curves.empty:
        return files
    plt = _plt()
    from matplotlib.ticker import MaxNLocator

    settings = settings or ReportConf()
    families = {"reward": reward_family(settings.train_end.values()), **curve_families(set(curves["key"]))}
    for scale, cs in curves.groupby("scale", sort=True):
        for stem, (title, pattern) in families.items():
            sel = cs[cs["key"].str.match(pattern)]
            if sel.empty:
                continue
            win = SMOOTH_STEPS if smoothed(stem) else 1
            if win > 1:
                sel = sel.sort_values("step").copy()
                sel["value"] = sel.groupby(["key", "method", "seed"])["value"].transform(
                    lambda v, w=win: v.rolling(w, min_periods=1).mean())
            keys = sorted(set(sel["key"]))
            ncol = min(3, len(keys))
            nrow = math.ceil(len(keys) / ncol)
            fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
            methods = sorted(set(cs["method"]))  # the same color/style for a method across panels
            for ax, key in zip(axes.flat, keys, strict=False):
                for method, g in sel[sel["key"] == key].groupby("method", sort=True):
                    i = methods.index(method)
                    agg = g.groupby("step")["value"].agg(["mean", "min", "max", "count"]).sort_index()
                    nseeds = g["seed"].nunique()
                    line = ax.plot(agg.index, agg["mean"], marker=MARKERS[i % len(MARKERS)], ms=4, markevery=max(1, len(agg) // 12),
                                   ls=STYLES[i % len(STYLES)], color=f"C{i}",
                                   label=f"{method} ({nseeds} seed{'s' if nseeds > 1 else ''})")
                    if agg["count"].max() > 1:
                        ax.fill_between(agg.index, agg["min"], agg["max"], alpha=0.15, color=line[0].get_color())
                ax.set_title(key, fontsize=9)
                ax.set_xlabel("step")
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
                ax.grid(alpha=0.3)
            for ax in list(axes.flat)[len(keys):]:
                ax.axis("off")
            axes.flat[0].legend(fontsize=7)
            smooth = f", rolling mean over {win} steps" if win > 1 else ""
            fig.suptitle(f"{title} — scale {scale} (mean over seeds, band = min–max{smooth})")
            fig.tight_layout()
            path = out / f"curves_{stem}_{_safe(str(scale))}.png"
            fig.savefig(path, dpi=90)
            plt.close(fig)
            files.append(path)
    return files


def plot_dimensions(cells: pd.DataFrame, out: Path, confidence: float = 0.95) -> list[Path]:
    """Per benchmark: grouped bars of dim/* (methods side by side), one subplot per scale, t-CI error bars."""
    files = []
    dims = [c for c in cells.columns if c.startswith("dim/")]
    if not dims:
        return files
    plt = _plt()
    for bench, cb in cells.groupby("benchmark", sort=True):
        bdims = [d for d in dims if cb[d].notna().any()]
        if not bdims:
            continue
        scales = sorted(set(cb["scale"]))
        fig, axes = plt.subplots(1, len(scales), figsize=(max(5.0, 1.1 * len(bdims) + 2) * len(scales), 3.6), squeeze=False)
        for ax, scale in zip(axes.flat, scales, strict=True):
            cs = cb[cb["scale"] == scale]
            methods = sorted(set(cs["method"]))
            width = 0.8 / len(methods)
            x = np.arange(len(bdims))
            for i, method in enumerate(methods):
                stats_ = [t_interval(cs.loc[cs["method"] == method, d].dropna().tolist(), confidence) for d in bdims]
                means = [s[0] for s in stats_]
                err = [0.0 if math.isnan(s[1]) else (s[2] - s[1]) / 2 for s in stats_]
                ax.bar(x + (i - (len(methods) - 1) / 2) * width, means, width, yerr=err, capsize=2, label=method)
            ax.set_xticks(x, [d.split("/", 1)[1] for d in bdims], rotation=30, ha="right", fontsize=8)
            ax.set_title(f"{bench} — {scale}")
            ax.set_ylim(0, max(1.0, float(np.nanmax(cs[bdims].to_numpy(float))) * 1.05))
            ax.grid(axis="y", alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()
        path = out / f"dimensions_{_safe(str(bench))}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        files.append(path)
    return files


