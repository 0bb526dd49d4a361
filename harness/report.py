"""The paper's comparison table, with the statistics it lacks, from a sweep folder's mirrors.

``python -m harness.report runs/<sweep> [--out DIR] [--baselines static,prior] [--target focal]``

Offline: reads only ``cells/*/result.json`` and ``policies/*/metrics.jsonl``. Writes
``report.md``, CSV tables and PNG plots to ``<sweep>/report/`` (or ``--out``) and prints
the main table.

The core is pure functions on pandas DataFrames:

* :func:`load_sweep` -> :class:`Sweep` (one row per complete cell, the training curves,
  the missing/incomplete cells of the expected grid);
* :func:`summarize` (mean +/- t-interval over seeds), :func:`compare` (target vs the
  strongest static baseline per (scale, benchmark)), :func:`wins`,
  :func:`wilcoxon_test`, :func:`bootstrap_mean_ci` (scipy.stats, nothing hand-rolled);
* ``render_*`` for Markdown and ``plot_*`` for PNG files; :func:`main` is the thin CLI.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

KEYS = ("method", "scale", "benchmark", "seed")
GROUP = ("scale", "benchmark", "method")
CELL_RE = re.compile(r"^(?P<method>[^-]+)-(?P<scale>[^-]+)-s(?P<seed>\d+)-(?P<benchmark>.+)-(?P<hash>[0-9a-f]{10})$")
POLICY_RE = re.compile(r"^(?P<method>[^-]+)-(?P<scale>[^-]+)-s(?P<seed>\d+)-(?P<hash>[0-9a-f]{10})$")
POLARIZATION = ("polarization/worst_dimension", "polarization/severe_deficiency_rate")
CURVE_FAMILIES = {
    # file stem -> (title, key regex); keys from the policies' metrics.jsonl (train phase)
    "satisfaction_kind": ("satisfaction by criterion kind", r"^satisfaction/(hard_rule|principle)$"),
    "satisfaction_tag": ("satisfaction by tag", r"^satisfaction/tag/(?!level:|crit:|all$).+$"),
    # the toy data's tags (core/assets/make_toy.py): difficulty level, one tag per criterion, and
    # "all" (unweighted mean satisfaction, comparable across methods unlike each method's own reward)
    "satisfaction_level": ("satisfaction by criterion difficulty", r"^satisfaction/tag/level:.+$"),
    "satisfaction_criterion": ("satisfaction per criterion", r"^satisfaction/tag/crit:.+$"),
    "saturation": ("saturation (focal)", r"^saturation/.+$"),
    "weight_kind": ("weight by criterion kind", r"^weight/(hard_rule|principle)$"),
    "weight_tag": ("weight by tag", r"^weight/tag/.+$"),
    "weight_stats": ("weight entropy and extremes", r"^weight/(entropy|entropy_norm|min|max)$"),
}


# local PNG only (the W&B report's panels stay saturation/satisfaction/weight keys)
LOCAL_CURVE_FAMILIES = {
    "reward": ("mean reward (the method's own) and mean rubric satisfaction", r"^(rewards/rubric/mean|satisfaction/tag/all)$"),
}

# families plotted as a trailing rolling mean over this many steps (per seed, before averaging):
# per-step values of tag families are noisy when a step's few prompts carry few of a tag's criteria
SMOOTH = {"reward": 5, "satisfaction_level": 5, "satisfaction_criterion": 5}

MARKERS = ("o", "s", "^", "D", "v", "P", "X")
STYLES = ("-", "--", ":", "-.")


class ReportError(Exception):
    """Nothing to report (no folder, no cells, no complete cell): a one-line message, exit 2."""


# --------------------------------------------------------------------------- loading


@dataclass
class Sweep:
    root: Path
    cells: pd.DataFrame  # one row per complete cell: KEYS, cell, primary, score, n_items, policy, <metrics...>
    curves: pd.DataFrame  # long: method, scale, seed, policy, step, key, value
    missing: list[dict[str, Any]] = field(default_factory=list)  # expected (method, scale, benchmark, seed) with no complete cell
    incomplete: list[str] = field(default_factory=list)  # cell folders without DONE/result.json (or a stale DONE)
    duplicates: list[str] = field(default_factory=list)  # complete cells superseded by a newer one with the same keys
    group: str = ""
    project: str = "focal-harness"
    entity: str | None = None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return rows
    for line in lines:
        try:
            rows.append(json.loads(line))
        except ValueError:  # a half-written last line of a running job
            continue
    return rows


def _tracking_of(cell_dir: Path) -> dict[str, Any]:
    """tracking.{group,project,entity} from a cell's config.yaml (best effort)."""
    cfg = cell_dir / "config.yaml"
    if not cfg.exists():
        return {}
    try:
        from omegaconf import OmegaConf

        tr = OmegaConf.to_container(OmegaConf.load(cfg)).get("tracking") or {}
        return {k: tr.get(k) for k in ("group", "project", "entity")}
    except Exception:  # noqa: BLE001 - a broken config must not stop the report
        return {}


def load_sweep(root: str | Path) -> Sweep:
    """Read a sweep folder ``runs/<sweep>/``; raise :class:`ReportError` when there is nothing to report."""
    root = Path(root)
    if not root.is_dir():
        raise ReportError(f"no such sweep folder: {root}")
    cells_dir = root / "cells"
    dirs = sorted(p for p in cells_dir.iterdir() if p.is_dir()) if cells_dir.is_dir() else []
    if not dirs:
        inner = sorted(p.name for p in root.iterdir() if (p / "cells").is_dir())
        hint = f"; sweep folders inside: {', '.join(inner)}" if inner else ""
        raise ReportError(f"no cells in {root} (expected {root}/cells/<method>-<scale>-s<seed>-<benchmark>-<hash>/){hint}")
    rows, incomplete, seen = [], [], []
    for d in dirs:
        res = _read_json(d / "result.json")
        marker = d / "DONE"
        key = marker.read_text().strip() if marker.exists() else None
        m = CELL_RE.match(d.name)
        if res is None or key is None or key != str(res.get("key", key)):
            incomplete.append(d.name)
            if m:
                seen.append({"method": m["method"], "scale": m["scale"], "benchmark": m["benchmark"], "seed": int(m["seed"])})
            continue
        ch = res.get("choices", {})
        row = {
            "method": ch.get("method") or (m and m["method"]),
            "scale": ch.get("scale") or (m and m["scale"]),
            "benchmark": res.get("benchmark") or ch.get("benchmark"),
            "seed": int(res.get("seed", m["seed"] if m else 0)),
            "cell": d.name,
            "primary": res.get("primary"),
            "score": float(res["score"]) if res.get("score") is not None else math.nan,
            "n_items": res.get("n_items"),
            "policy": Path(str(res.get("policy_dir", ""))).name,
            "_mtime": (d / "result.json").stat().st_mtime,
        }
        for k, v in (res.get("metrics") or {}).items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                row[k] = float(v)
        rows.append(row)
        seen.append({k: row[k] for k in KEYS})
    if not rows:
        raise ReportError(f"no complete cell in {root}: {len(incomplete)} incomplete ({', '.join(incomplete[:5])})")
    cells = pd.DataFrame(rows).sort_values("_mtime")
    dup_mask = cells.duplicated(subset=list(KEYS), keep="last")
    duplicates = cells.loc[dup_mask, "cell"].tolist()
    cells = cells.loc[~dup_mask].drop(columns="_mtime").sort_values(list(KEYS)).reset_index(drop=True)
    missing = expected_missing(seen, cells)
    tr = next((t for t in (_tracking_of(cells_dir / c) for c in cells["cell"]) if t), {})
    return Sweep(
        root=root,
        cells=cells,
        curves=load_curves(root, cells),
        missing=missing,
        incomplete=incomplete,
        duplicates=duplicates,
        group=str(tr.get("group") or root.name),
        project=str(tr.get("project") or "focal-harness"),
        entity=tr.get("entity"),
    )


def expected_missing(seen: Iterable[dict[str, Any]], cells: pd.DataFrame) -> list[dict[str, Any]]:
    """Grid = product of the observed methods x scales x benchmarks x seeds; those without a complete cell."""
    seen = list(seen)
    axes = [sorted({s[k] for s in seen}) for k in KEYS]
    have = set(map(tuple, cells[list(KEYS)].itertuples(index=False, name=None)))
    return [dict(zip(KEYS, combo, strict=True)) for combo in product(*axes) if combo not in have]


CURVE_PREFIXES = ("satisfaction/", "saturation/", "weight/", "reward/", "rewards/", "completions/clipped_ratio")


def load_curves(root: Path, cells: pd.DataFrame) -> pd.DataFrame:
    """Training curves (phase == train) of every policy folder, long format."""
    owner = {}
    for r in cells.itertuples(index=False):
        owner.setdefault(r.policy, (r.method, r.scale, int(r.seed)))
    frames = []
    pdir = root / "policies"
    for d in sorted(p for p in pdir.iterdir() if p.is_dir()) if pdir.is_dir() else []:
        who = owner.get(d.name)
        if who is None:
            m = POLICY_RE.match(d.name)
            if not m:
                continue
            who = (m["method"], m["scale"], int(m["seed"]))
        recs = []
        for r in _read_jsonl(d / "metrics.jsonl"):
            if r.get("phase") != "train" or r.get("step") is None:
                continue
            for k, v in r.items():
                if k.startswith(CURVE_PREFIXES) and isinstance(
                    v, int | float
                ):
                    recs.append((int(r["step"]), k, float(v)))
        if recs:
            f = pd.DataFrame(recs, columns=["step", "key", "value"])
            f.insert(0, "policy", d.name)
            f.insert(0, "seed", who[2])
            f.insert(0, "scale", who[1])
            f.insert(0, "method", who[0])
            frames.append(f)
    cols = ["method", "scale", "seed", "policy", "step", "key", "value"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


# --------------------------------------------------------------------------- statistics


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


def compare(
    summary: pd.DataFrame, cells: pd.DataFrame, target: str = "focal", baselines: Sequence[str] = ("static", "prior"),
    value: str = "score", confidence: float = 0.95,
) -> pd.DataFrame:
    """Per (scale, benchmark): the target's mean minus the strongest baseline's (higher mean, chosen per cell).

    Also a Welch t-interval of the per-cell difference over seeds (needs >= 2 seeds on both sides).
    """
    rows = []
    for (scale, bench), g in summary.groupby(["scale", "benchmark"], sort=True):
        t = g[g["method"] == target]
        b = g[g["method"].isin(baselines)].dropna(subset=["mean"])
        if t.empty or b.empty or math.isnan(float(t["mean"].iloc[0])):
            continue
        best = b.sort_values(["mean", "method"], ascending=[False, True]).iloc[0]
        tm = float(t["mean"].iloc[0])
        row = {"scale": scale, "benchmark": bench, "target": target, "target_mean": tm,
               "target_n": int(t["n"].iloc[0]), "baseline": best["method"], "baseline_mean": float(best["mean"]),
               "baseline_n": int(best["n"]), "delta": tm - float(best["mean"]),
               "delta_ci_low": math.nan, "delta_ci_high": math.nan, "welch_p": math.nan}
        sel = (cells["scale"] == scale) & (cells["benchmark"] == bench)
        xt = cells.loc[sel & (cells["method"] == target), value].dropna().to_numpy(float)
        xb = cells.loc[sel & (cells["method"] == best["method"]), value].dropna().to_numpy(float)
        if len(xt) >= 2 and len(xb) >= 2 and (np.ptp(xt) > 0 or np.ptp(xb) > 0):
            with warnings.catch_warnings():  # one constant side: scipy warns about its zero variance
                warnings.simplefilter("ignore", RuntimeWarning)
                r = stats.ttest_ind(xt, xb, equal_var=False)
            ci = r.confidence_interval(confidence)
            row.update(delta_ci_low=float(ci.low), delta_ci_high=float(ci.high), welch_p=float(r.pvalue))
        rows.append(row)
    cols = ["scale", "benchmark", "target", "target_mean", "target_n", "baseline", "baseline_mean", "baseline_n",
            "delta", "delta_ci_low", "delta_ci_high", "welch_p"]
    return pd.DataFrame(rows, columns=cols)


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


def wins(deltas: Sequence[float]) -> tuple[int, int, int]:
    """(wins, ties, comparisons): a win is a strictly positive delta."""
    d = np.asarray(deltas, dtype=float)
    return int((d > 0).sum()), int((d == 0).sum()), len(d)


def wilcoxon_test(deltas: Sequence[float]) -> StatResult:
    """Paired Wilcoxon signed-rank test of the deltas against 0 (two-sided, scipy defaults)."""
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
    """BCa bootstrap CI of the mean delta (scipy.stats.bootstrap, seeded)."""
    d = np.asarray(deltas, dtype=float)
    n = len(d)
    if n < 2:
        return StatResult("bootstrap", n, message=f"not run: needs >= 2 comparisons, have {n}")
    mean = float(d.mean())
    if np.ptp(d) == 0:
        return StatResult("bootstrap", n, mean, low=mean, high=mean,
                          message=f"degenerate: all {n} deltas equal {mean:+.4g}; the interval is that point")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = stats.bootstrap((d,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                            rng=np.random.default_rng(seed))
    lo, hi = float(r.confidence_interval.low), float(r.confidence_interval.high)
    msg = f"BCa, {n_resamples} resamples, seed {seed}"
    if math.isnan(lo) or math.isnan(hi):
        msg = "BCa interval undefined for these deltas (degenerate resampling distribution)"
    return StatResult("bootstrap", n, mean, low=lo, high=hi, message=msg)


@dataclass
class Report:
    sweep: Sweep
    target: str
    baselines: tuple[str, ...]
    confidence: float
    main: pd.DataFrame
    comparisons: pd.DataFrame
    wins: tuple[int, int, int]
    wilcoxon: StatResult
    bootstrap: StatResult
    polarization: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def build_report(
    sweep: Sweep, target: str = "focal", baselines: Sequence[str] = ("static", "prior"), confidence: float = 0.95,
    n_resamples: int = 10_000, seed: int = 0,
) -> Report:
    cells = sweep.cells
    main = summarize(cells, "score", confidence)
    comp = compare(main, cells, target, baselines, "score", confidence)
    notes = []
    methods = set(cells["method"])
    if target not in methods:
        notes.append(f"target method '{target}' is not in this sweep (methods: {', '.join(sorted(methods))}): no comparisons")
    elif not methods.intersection(baselines):
        notes.append(f"none of the baselines {', '.join(baselines)} is in this sweep: no comparisons")
    deltas = comp["delta"].to_numpy(float)
    pol = []
    for col in POLARIZATION:
        s = summarize(cells, col, confidence)
        s.insert(3, "metric", col.split("/", 1)[1])
        pol.append(s)
    return Report(sweep, target, tuple(baselines), confidence, main, comp, wins(deltas), wilcoxon_test(deltas),
                  bootstrap_mean_ci(deltas, confidence, n_resamples, seed), pd.concat(pol, ignore_index=True), notes)


# --------------------------------------------------------------------------- rendering


def fmt_ci(mean: float, half: float, n: int, digits: int = 3) -> str:
    if n == 0 or math.isnan(mean):
        return "—"
    if n < 2 or math.isnan(half):
        return f"{mean:.{digits}f} (n={n}, no CI)"
    return f"{mean:.{digits}f} ± {half:.{digits}f} (n={n})"


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def render_main_table(rep: Report) -> str:
    """Rows: scale x method (then the target's delta per scale); columns: benchmarks."""
    m = rep.main
    benches = sorted(set(m["benchmark"]))
    pct = int(round(rep.confidence * 100))
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
    head = f"Headline metric per benchmark ({primaries}); mean ± {pct}% t-interval half-width over seeds."
    return head + "\n\n" + md_table(["scale", "method", *benches], rows)


def render_statistics(rep: Report) -> str:
    w, ties, n = rep.wins
    base = "/".join(rep.baselines)
    lines = [f"- **wins**: {rep.target} beats the strongest of {base} in **{w} of {n}** (scale, benchmark) comparisons"
             + (f" ({ties} tie{'s' if ties > 1 else ''})" if ties else "")]
    wt = rep.wilcoxon
    if math.isnan(wt.pvalue):
        lines.append(f"- **Wilcoxon signed-rank** (paired over comparisons): {wt.message}")
    else:
        lines.append(f"- **Wilcoxon signed-rank** (paired over comparisons): W = {wt.statistic:g}, p = {wt.pvalue:.4g} ({wt.message})")
    bt = rep.bootstrap
    pct = int(round(rep.confidence * 100))
    if math.isnan(bt.low):
        extra = f"mean Δ = {bt.statistic:+.4f}; " if not math.isnan(bt.statistic) else ""
        lines.append(f"- **bootstrap {pct}% CI of the mean Δ**: {extra}{bt.message}")
    else:
        lines.append(f"- **bootstrap {pct}% CI of the mean Δ**: {bt.statistic:+.4f} [{bt.low:+.4f}, {bt.high:+.4f}] ({bt.message})")
    lines.append("- the strongest baseline is chosen per (scale, benchmark) as the one with the higher mean "
                 "(as the paper does); this selection favours the baseline")
    lines += [f"- note: {x}" for x in rep.notes]
    return "\n".join(lines)


def render_comparisons(rep: Report) -> str:
    pct = int(round(rep.confidence * 100))
    if rep.comparisons.empty:
        return "_no comparisons (the target or every baseline is missing)_"
    rows = []
    for r in rep.comparisons.itertuples(index=False):
        ci = "n/a (needs ≥ 2 seeds each)" if math.isnan(r.delta_ci_low) else f"[{r.delta_ci_low:+.3f}, {r.delta_ci_high:+.3f}]"
        p = "n/a" if math.isnan(r.welch_p) else f"{r.welch_p:.3g}"
        rows.append([r.scale, r.benchmark, f"{r.target_mean:.3f} (n={r.target_n})", r.baseline,
                     f"{r.baseline_mean:.3f} (n={r.baseline_n})", f"{r.delta:+.3f}", "yes" if r.delta > 0 else ("tie" if r.delta == 0 else "no"), ci, p])
    return md_table(["scale", "benchmark", rep.target, "best baseline", "its mean", "Δ", "win",
                     f"Δ {pct}% Welch CI over seeds", "Welch p"], rows)


def render_polarization(rep: Report) -> str:
    p = rep.polarization
    if p.empty or p["n"].sum() == 0:
        return "_no polarization metrics in the results_"
    rows = []
    for (scale, bench, method), g in p.groupby(list(GROUP), sort=True):
        vals = {r.metric: fmt_ci(r.mean, r.ci_half, int(r.n)) for r in g.itertuples(index=False)}
        rows.append([scale, bench, method, vals.get("worst_dimension", "—"), vals.get("severe_deficiency_rate", "—")])
    return md_table(["scale", "benchmark", "method", "worst dimension (higher is better)",
                     "severe-deficiency rate (lower is better)"], rows)


TRAIN_END_KEYS = {  # column -> curve key (the toy data's tags; see core/assets/make_toy.py)
    "mean satisfaction": "satisfaction/tag/all",
    "easy": "satisfaction/tag/level:easy",
    "medium": "satisfaction/tag/level:medium",
    "hard": "satisfaction/tag/level:hard",
    "cut at length cap": "completions/clipped_ratio",  # TRL's share of rollouts truncated at the cap
}


def training_end(curves: pd.DataFrame, last: int = 5) -> pd.DataFrame:
    """Per policy (method, scale, seed): each satisfaction key averaged over its last ``last`` logged
    steps, plus ``worst criterion`` = the lowest of the per-criterion (``crit:*`` tag) averages.
    Empty when the curves carry none of these keys; a key no policy logged stays NaN."""
    sel = curves[curves["key"].isin(TRAIN_END_KEYS.values()) | curves["key"].str.startswith("satisfaction/tag/crit:")]
    if sel.empty:
        return pd.DataFrame()
    rows = []
    for (method, scale, seed), g in sel.groupby(["method", "scale", "seed"], sort=True):
        end = {k: float(v.sort_values("step")["value"].tail(last).mean()) for k, v in g.groupby("key")}
        row = {"method": method, "scale": scale, "seed": int(seed)}
        row.update({col: end.get(key, float("nan")) for col, key in TRAIN_END_KEYS.items()})
        crit = [v for k, v in end.items() if k.startswith("satisfaction/tag/crit:")]
        row["worst criterion"] = min(crit) if crit else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def render_training_end(curves: pd.DataFrame, last: int = 5, confidence: float = 0.95) -> str:
    """Markdown: the end-of-training satisfaction per method (mean ± t-interval over seeds)."""
    end = training_end(curves, last)
    if end.empty:
        return ""
    cols = [c for c in [*TRAIN_END_KEYS, "worst criterion"] if end[c].notna().any()]
    rows = []
    for (scale, method), g in end.groupby(["scale", "method"], sort=True):
        cells = []
        for c in cols:
            m, lo, hi, n = t_interval(g[c].tolist(), confidence)
            cells.append(fmt_ci(m, (hi - lo) / 2 if n > 1 else float("nan"), n))
        rows.append([scale, method, *cells])
    pct = int(round(confidence * 100))
    head = (f"Training rollouts at the end (mean of the last {last} logged steps per policy; "
            f"mean ± {pct}% t-interval over seeds): criterion satisfaction overall, by difficulty level "
            "and of the worst criterion (where the data carries those tags), and the share of rollouts "
            "cut at the length cap.")
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
            render_statistics(rep), "", render_comparisons(rep), "",
            "## Polarization", "", render_polarization(rep), ""]
    tend = render_training_end(s.curves, confidence=rep.confidence)
    if tend:
        out += ["## Training end", "", tend, ""]
    if plots:
        out += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots] + [""]
    return "\n".join(out)


# --------------------------------------------------------------------------- plots


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)


def plot_curves(curves: pd.DataFrame, out: Path) -> list[Path]:
    """Per scale and family: one subplot per key, one line per method (mean over seeds, min-max band)."""
    files = []
    if curves.empty:
        return files
    plt = _plt()
    from matplotlib.ticker import MaxNLocator

    for scale, cs in curves.groupby("scale", sort=True):
        for stem, (title, pattern) in {**LOCAL_CURVE_FAMILIES, **CURVE_FAMILIES}.items():
            sel = cs[cs["key"].str.match(pattern)]
            if sel.empty:
                continue
            win = SMOOTH.get(stem, 1)
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


# --------------------------------------------------------------------------- files + CLI


def write_report(rep: Report, out: Path, plots: bool = True) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {
        "cells.csv": rep.sweep.cells,
        "main_table.csv": rep.main,
        "comparisons.csv": rep.comparisons,
        "polarization.csv": rep.polarization,
    }
    for name, df in tables.items():
        df.to_csv(out / name, index=False)
        written.append(out / name)
    for stale in [*out.glob("curves_*.png"), *out.glob("dimensions_*.png")]:  # plots of an earlier run
        stale.unlink()
    figs: list[Path] = []
    if plots:
        figs = plot_curves(rep.sweep.curves, out) + plot_dimensions(rep.sweep.cells, out, rep.confidence)
    w, ties, n = rep.wins
    summary = {
        "target": rep.target, "baselines": list(rep.baselines), "confidence": rep.confidence,
        "wins": w, "ties": ties, "comparisons": n,
        "wilcoxon": rep.wilcoxon.as_dict(), "bootstrap": rep.bootstrap.as_dict(),
        "missing": rep.sweep.missing, "incomplete": rep.sweep.incomplete, "duplicates": rep.sweep.duplicates,
        "notes": rep.notes,
    }
    (out / "statistics.json").write_text(json.dumps(_json_safe(summary), indent=2, allow_nan=False) + "\n")
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


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m harness.report", description=__doc__.split("\n\n")[0])
    ap.add_argument("sweep", type=Path, help="sweep folder, e.g. runs/<sweep>")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default <sweep>/report)")
    ap.add_argument("--target", default="focal", help="method compared against the baselines (default focal)")
    ap.add_argument("--baselines", default="static,prior", help="comma-separated static baselines (default static,prior)")
    ap.add_argument("--confidence", type=float, default=0.95)
    ap.add_argument("--n-resamples", type=int, default=10_000, help="bootstrap resamples")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap RNG seed")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--wandb", action="store_true",
                    help="also publish a W&B report with the same panels (needs WANDB_API_KEY and network)")
    ap.add_argument("--entity", default=None, help="W&B entity (default: the runs' tracking.entity)")
    ap.add_argument("--project", default=None, help="W&B project (default: the runs' tracking.project)")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        sweep = load_sweep(args.sweep)
    except ReportError as e:
        print(f"harness.report: {e}", file=sys.stderr)
        return 2
    baselines = tuple(b.strip() for b in args.baselines.split(",") if b.strip())
    rep = build_report(sweep, args.target, baselines, args.confidence, args.n_resamples, args.seed)
    out = args.out or (sweep.root / "report")
    files = write_report(rep, out, plots=not args.no_plots)
    miss = render_missing(sweep)
    if miss:
        print(miss + "\n")
    print(render_main_table(rep) + "\n")
    print(render_statistics(rep) + "\n")
    print(render_comparisons(rep) + "\n")
    print(render_polarization(rep) + "\n")
    tend = render_training_end(sweep.curves, confidence=rep.confidence)
    if tend:
        print(tend + "\n")
    print(f"wrote {len(files)} files to {out}/ (report.md, *.csv, statistics.json, {sum(f.suffix == '.png' for f in files)} PNG)")
    if args.wandb:
        from harness.wandb_report import publish

        print(publish(rep, entity=args.entity, project=args.project))
    return 0


if __name__ == "__main__":
    sys.exit(main())
