"""Tables and figures of a replay (``harness.tools.replay``): where each method routes advantage.

Per criterion and band: the share of advantage mass, the method's mean weight multiplier (its
weight over its base weight) and the share of (group, criterion) pairs with no spread. Per
method: how often the sign of its advantage differs from static's, its rank correlation with
every other method (Spearman over all rollouts) and the share of groups whose advantages are all 0.
With noise: how far perturbed verdicts move each method's weights and advantages.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from harness.report.tables import markdown

# the replay's objects (harness.tools.replay), by duck type: that module imports this one
Policy = Trace = Any
BANDS = ("low", "mid", "high")
HIGH, LOW = 0.8, 0.35  # data=instruct_graded's band thresholds on the untrained model's satisfaction


def name_of(tags: Sequence[str], kind: int) -> str:
    """A criterion's identity across prompts: its ``crit:`` tag, else its kind."""
    crit = next((t[5:] for t in tags if t.startswith("crit:")), None)
    return crit or ("hard_rule", "principle")[kind]


def labels(policies: Sequence[Policy]) -> tuple[list[list[np.ndarray]], dict[str, str], dict[str, float]]:
    """(criterion name (B, K) per policy and step, band of each name, base rate of each name): the base
    rate is the mean score at the first recorded step; the band is the ``level:`` tag when it is a band."""
    names, first, tagged = [], defaultdict(list), {}
    for pol in policies:
        per = []
        for i, st in enumerate(pol.steps):
            arr = np.full(st.valid.shape, "", dtype=object)
            for b, row in enumerate(st.tags):
                for k in range(st.valid.shape[1]):
                    if not st.valid[b, k]:
                        continue
                    tags = row[k] if k < len(row) else ()
                    n = arr[b, k] = name_of(tags, int(st.kinds[b, k]))
                    level = next((t[6:] for t in tags if t.startswith("level:")), None)
                    if level in BANDS:
                        tagged[n] = level
                    if i == 0:
                        first[n].extend(x for x in st.scores[b, :, k] if not np.isnan(x))
            per.append(arr)
        names.append(per)
    rate = {n: float(np.mean(v)) if v else float("nan") for n, v in first.items()}
    every = {n for per in names for arr in per for n in arr.ravel() if n}
    band = {n: tagged.get(n) or ("high" if rate.get(n, np.nan) >= HIGH else "low"
                                 if rate.get(n, np.nan) < LOW else "mid") for n in every}
    return names, band, rate


def masses(traces: Sequence[Trace], names: Sequence[Sequence[np.ndarray]]) -> tuple[dict[str, float], dict[str, float]]:
    """(advantage mass per criterion name, mean weight multiplier w / w0 per name)."""
    mass, ratio, count = defaultdict(float), defaultdict(float), defaultdict(int)
    for t, per in zip(traces, names, strict=True):
        for c, w, w0, arr in zip(t.contribution, t.weights, t.base, per, strict=True):
            m = np.abs(np.nan_to_num(c)).sum(axis=1)
            for (b, k), n in np.ndenumerate(arr):
                if not n:
                    continue
                mass[n] += float(m[b, k])
                if w0[b, k] > 0:
                    ratio[n] += float(w[b, k] / w0[b, k])
                    count[n] += 1
    return dict(mass), {n: ratio[n] / count[n] for n in count}


def flat_share(policies: Sequence[Policy], names) -> dict[str, float]:
    """Share of (group, criterion) pairs whose scorable rollouts all agree (no signal whatever the weights)."""
    flat, total = defaultdict(int), defaultdict(int)
    for pol, per in zip(policies, names, strict=True):
        for st, arr in zip(pol.steps, per, strict=True):
            s = st.scores
            with warnings.catch_warnings():  # a criterion no rollout of the group could score: NaN, so flat
                warnings.simplefilter("ignore", RuntimeWarning)
                spread = np.nanmax(s, axis=1) - np.nanmin(s, axis=1) if s.size else s
            for (b, k), n in np.ndenumerate(arr):
                if n:
                    total[n] += 1
                    flat[n] += int(not spread[b, k] > 0)
    return {n: flat[n] / total[n] for n in total}


def flat_adv(traces: Sequence[Trace]) -> np.ndarray:
    return np.concatenate([a.ravel() for t in traces for a in t.advantage]) if traces else np.zeros(0)


def sign_differs(a: np.ndarray, b: np.ndarray) -> float:
    """Share of rollouts whose advantages have opposite signs, among those where both are non-zero
    (a zero advantage, no signal, is counted by :func:`no_variance` instead)."""
    sa, sb = np.sign(np.round(np.nan_to_num(a), 9)), np.sign(np.round(np.nan_to_num(b), 9))
    ok = (sa != 0) & (sb != 0)
    return float(np.mean(sa[ok] != sb[ok])) if ok.any() else float("nan")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return float("nan")
    return float(stats.spearmanr(a[ok], b[ok]).statistic)


def no_variance(traces: Sequence[Trace]) -> float:
    rows = [np.nanmax(np.abs(a), axis=1) < 1e-8 for t in traces for a in t.advantage]
    return float(np.concatenate(rows).mean()) if rows else float("nan")


def pct(x: float) -> str:
    return "" if np.isnan(x) else f"{100 * x:.1f} %"


def num(x: float, fmt: str = ".2f") -> str:
    return "n/a" if np.isnan(x) else format(x, fmt)


def render(policies: Sequence[Policy], clean: dict[str, list[Trace]], noisy: dict[str, list[Trace]],
           check: dict[str, float], noise: float | None) -> str:
    names, band, rate = labels(policies)
    methods = list(clean)
    per = {m: masses(clean[m], names) for m in methods}
    flat = flat_share(policies, names)
    steps = sum(len(p.steps) for p in policies)
    out = [f"replayed {len(policies)} polic{'y' if len(policies) == 1 else 'ies'}, {steps} steps, "
           f"methods: {', '.join(methods)}"]
    if check:
        worst = max(check.values())
        out.append(f"check: each policy's own method, replayed, gives its recorded advantages to within "
                   f"{worst:.2g} (largest |difference| over {len(check)} policies)")
    order = sorted(band, key=lambda n: (BANDS.index(band[n]), -rate.get(n, 0.0), n))
    rows = []
    for b in BANDS:
        members = [n for n in order if band[n] == b]
        if not members:
            continue
        rows.append([f"**{b}**", "", "", *(pct(sum(per[m][0].get(n, 0) for n in members)
                                                / max(sum(per[m][0].values()), 1e-300)) for m in methods)])
        for n in members:
            rows.append([f"  {n}", num(rate.get(n, np.nan)), pct(flat.get(n, np.nan)),
                         *(pct(per[m][0].get(n, 0) / max(sum(per[m][0].values()), 1e-300)) for m in methods)])
    out += ["", "share of advantage mass (band rows: their criteria together)", "",
            markdown(["criterion", "base rate", "flat groups", *methods], rows)]
    mult = []
    for b in BANDS:
        members = [n for n in order if band[n] == b]
        if members:
            mult.append([b, *(num(np.mean([per[m][1][n] for n in members if n in per[m][1]] or [np.nan]))
                              for m in methods)])
    out += ["", "mean weight multiplier (weight / base weight) per criterion of the band", "",
            markdown(["band", *methods], mult)]
    ref = flat_adv(clean["static"]) if "static" in clean else None
    summary = []
    for m in methods:
        a = flat_adv(clean[m])
        summary.append([m, (pct(sign_differs(a, ref)) or "n/a") if ref is not None else "", num(spearman(a, ref))
                        if ref is not None else "", pct(no_variance(clean[m])), num(float(np.nanmean(np.abs(a))), ".3f")])
    out += ["", "per method: advantages against static's on the same rollouts", "",
            markdown(["method", "opposite sign to static", "Spearman vs static", "groups with no variance",
                      "mean |advantage|"], summary)]
    flats = {m: flat_adv(clean[m]) for m in methods}
    out += ["", "rank correlation of advantages between methods (Spearman, all rollouts)", "",
            markdown(["", *methods], [[m, *(num(spearman(flats[m], flats[o])) for o in methods)] for m in methods])]
    if noisy:
        out += ["", f"judge noise at rate {noise:g}: how far each method moves (noisy minus clean replay)", "",
                markdown(["method", "weight change (total variation)", "mean |Δ advantage|", "sign flips",
                          "Spearman clean vs noisy"], noise_rows(clean, noisy))]
    return "\n".join(out)


def noise_rows(clean: dict[str, list[Trace]], noisy: dict[str, list[Trace]]) -> list[list[str]]:
    rows = []
    for m in noisy:
        tv = [np.nansum(np.abs(wn - wc), axis=1) / 2 for tc, tn in zip(clean[m], noisy[m], strict=True)
              for wc, wn in zip(tc.weights, tn.weights, strict=True)]
        a, b = flat_adv(clean[m]), flat_adv(noisy[m])
        ok = np.isfinite(a) & np.isfinite(b)
        rows.append([m, num(float(np.concatenate(tv).mean()), ".3f"), num(float(np.abs(a[ok] - b[ok]).mean()), ".3f"),
                     (pct(sign_differs(a, b)) or "n/a"), num(spearman(a, b))])
    return rows


def trajectory(traces: Sequence[Trace], names, band: dict[str, str], which: str) -> tuple[list[int], list[float]]:
    """Share of advantage mass in band ``which`` per step (summed over policies)."""
    num_, den = defaultdict(float), defaultdict(float)
    for t, per in zip(traces, names, strict=True):
        for step, c, arr in zip(t.steps, t.contribution, per, strict=True):
            m = np.abs(np.nan_to_num(c)).sum(axis=1)
            inband = np.vectorize(lambda n: band.get(n) == which)(arr) if arr.size else arr
            num_[step] += float(m[inband.astype(bool)].sum())
            den[step] += float(m.sum())
    steps = sorted(den)
    return steps, [num_[s] / den[s] if den[s] > 0 else np.nan for s in steps]


def plot(policies: Sequence[Policy], clean: dict[str, list[Trace]], folder: Path) -> list[Path]:
    """mass_by_band.png, low_band_by_step.png, rank_correlation.png in ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    names, band, _ = labels(policies)
    methods = list(clean)
    files = []
    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / len(methods)
    for i, m in enumerate(methods):
        mass, _ = masses(clean[m], names)
        total = max(sum(mass.values()), 1e-300)
        ax.bar(np.arange(len(BANDS)) + i * width, [sum(v for n, v in mass.items() if band[n] == b) / total
                                                   for b in BANDS], width, label=m)
    ax.set_xticks(np.arange(len(BANDS)) + 0.4 - width / 2, [f"{b} base rate" for b in BANDS])
    ax.set_ylabel("share of advantage mass")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    files.append(folder / "mass_by_band.png")
    fig.savefig(files[-1], dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for m in methods:
        xs, ys = trajectory(clean[m], names, band, "low")
        ax.plot(xs, ys, marker=".", label=m)
    ax.set_xlabel("training step")
    ax.set_ylabel("low band's share of advantage mass")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    files.append(folder / "low_band_by_step.png")
    fig.savefig(files[-1], dpi=120)
    plt.close(fig)
    flats = {m: flat_adv(clean[m]) for m in methods}
    mat = np.array([[spearman(flats[a], flats[b]) for b in methods] for a in methods])
    fig, ax = plt.subplots(figsize=(1 + 0.6 * len(methods), 0.8 + 0.6 * len(methods)))
    im = ax.imshow(mat, vmin=-1, vmax=1, cmap="RdBu")
    ax.set_xticks(range(len(methods)), methods, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(methods)), methods, fontsize=7)
    fig.colorbar(im, ax=ax, label="Spearman of advantages")
    fig.tight_layout()
    files.append(folder / "rank_correlation.png")
    fig.savefig(files[-1], dpi=120)
    plt.close(fig)
    return files
