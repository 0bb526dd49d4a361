"""Unit-free pooled statistics, extra pairwise comparisons, names with '-', settings from the sweep's config."""

from __future__ import annotations

import json
import re

import pytest

from harness import report as R
from tests.harness.report.sweep_builder import SCORES, build_sweep

POW3R = {k: {"pow3r": [v - 0.01 for v in d["focal"]]} for k, d in SCORES.items()}
POW3R[("small", "gamma")] = {"pow3r": [0.70, 0.71, 0.72]}  # one loss for focal


def _pooled_numbers(p: R.Pooled) -> list[float]:
    w, ties, n = p.wins
    return [w, ties, n, p.sign.pvalue, p.wilcoxon.statistic, p.wilcoxon.pvalue,
            p.bootstrap.statistic, p.bootstrap.low, p.bootstrap.high]


def _rescaled(factor: float, bench: str = "beta") -> dict:
    return {k: {m: [v * factor for v in vals] for m, vals in d.items()} if k[1] == bench else d
            for k, d in SCORES.items()}


def test_rescaling_one_benchmark_changes_no_pooled_number(tmp_path):
    """beta in percent instead of [0, 1] (x100): the pooled numbers are the same, the raw deltas are not."""
    reps = []
    for name, factor in (("unit", 1.0), ("pct", 100.0)):
        pow3r = {k: {m: [v * factor if k[1] == "beta" else v for v in vals] for m, vals in d.items()}
                 for k, d in POW3R.items()}
        sweep = R.load_sweep(build_sweep(tmp_path / name, _rescaled(factor), extra_methods=pow3r))
        reps.append(R.build_report(sweep, n_resamples=500, seed=3))
    a, b = reps
    assert _pooled_numbers(a.pooled) == pytest.approx(_pooled_numbers(b.pooled), nan_ok=True)
    assert a.comparisons["effect"].tolist() == pytest.approx(b.comparisons["effect"].tolist())
    assert len(a.pairs) == len(b.pairs) == 1
    assert _pooled_numbers(a.pairs[0].pooled) == pytest.approx(_pooled_numbers(b.pairs[0].pooled), nan_ok=True)
    beta = a.comparisons["benchmark"] == "beta"
    # the per-benchmark raw deltas stay in their own units
    assert b.comparisons.loc[beta, "delta"].tolist() == pytest.approx((a.comparisons.loc[beta, "delta"] * 100).tolist())
    assert b.comparisons.loc[~beta, "delta"].tolist() == pytest.approx(a.comparisons.loc[~beta, "delta"].tolist())
    # a pooled mean of raw deltas would have moved: the check above is not vacuous
    assert a.comparisons["delta"].mean() != pytest.approx(b.comparisons["delta"].mean())


def test_focal_vs_pow3r_is_printed_with_the_same_statistics(tmp_path, capsys):
    root = build_sweep(tmp_path / "p", extra_methods=POW3R)
    assert R.main([str(root), "--no-plots", "--n-resamples", "300"]) == 0
    out = re.sub(r" +", " ", capsys.readouterr().out)
    assert "### focal vs pow3r" in out
    assert "focal against pow3r in **5 of 6**" in out  # Cliff's δ > 0 in every cell except small/gamma
    st = json.loads((root / "report" / "statistics.json").read_text())
    (pair,) = st["pairs"]
    assert (pair["target"], pair["other"], pair["wins"], pair["losses"]) == ("focal", "pow3r", 5, 1)
    assert (root / "report" / "comparisons_focal_vs_pow3r.csv").exists()
    # pow3r is not a static baseline: the main comparison never picks it
    rep = R.build_report(R.load_sweep(root), n_resamples=300)
    assert set(rep.comparisons["baseline"]) == {"static", "prior"}


def test_no_pair_when_one_side_is_absent(tmp_path):
    rep = R.build_report(R.load_sweep(build_sweep(tmp_path / "p")), n_resamples=200)
    assert rep.pairs == [] and "Pairwise" not in R.render_markdown(rep)


def test_names_with_hyphens_come_from_result_json(tmp_path):
    scores = {("qwen3-1.7b", "arena-hard"): {"focal-ema": [0.5, 0.6], "static": [0.4, 0.5]}}
    root = build_sweep(tmp_path / "h", scores, seeds=(0, 1))
    sw = R.load_sweep(root)
    assert set(sw.cells["method"]) == {"focal-ema", "static"}
    assert set(sw.cells["scale"]) == {"qwen3-1.7b"} and set(sw.cells["benchmark"]) == {"arena-hard"}
    assert set(sw.curves["method"]) == {"focal-ema", "static"}
    # an incomplete cell's folder name is split with the names the complete cells carry
    cell = next(p for p in (root / "cells").iterdir() if p.name.startswith("focal-ema-qwen3-1.7b-s1-"))
    (cell / "DONE").unlink()
    sw = R.load_sweep(root)
    assert sw.missing == [{"method": "focal-ema", "scale": "qwen3-1.7b", "benchmark": "arena-hard", "seed": 1}]
    rep = R.build_report(sw, target="focal-ema", baselines=["static"], n_resamples=200)
    assert rep.comparisons["delta"].tolist() == pytest.approx([0.5 - 0.45])


def test_parse_name_prefers_known_names():
    assert R.parse_name("a-b-c-s2-arena-hard-0123456789", {"a-b"}, {"c"}) == {
        "method": "a-b", "scale": "c", "seed": 2, "benchmark": "arena-hard"}
    assert R.parse_name("a-b-c-s2-0123456789", {"a"}, {"b-c"}, cell=False) == {"method": "a", "scale": "b-c", "seed": 2}
    assert R.parse_name("not-a-cell") is None


def test_target_baselines_and_pairs_come_from_the_sweeps_config(tmp_path):
    root = build_sweep(tmp_path / "c", extra_methods=POW3R)
    for cfg in (root / "cells").glob("*/config.yaml"):
        cfg.write_text(cfg.read_text() + "report:\n  target: pow3r\n  baselines: [static]\n  pairs: [[prior, static]]\n")
    rep = R.build_report(R.load_sweep(root), n_resamples=200)
    assert (rep.target, rep.baselines) == ("pow3r", ("static",))
    assert [(c.target, c.baselines) for c in rep.pairs] == [("prior", ("static",))]
    # command-line flags win over the sweep's config
    assert R.main([str(root), "--no-plots", "--target", "focal", "--baselines", "prior", "--pair", "focal,static"]) == 0
    st = json.loads((root / "report" / "statistics.json").read_text())
    assert (st["target"], st["baselines"], st["pairs"][0]["other"]) == ("focal", ["prior"], "static")


def test_polarization_shows_strict_completion_when_present(tmp_path):
    root = build_sweep(tmp_path / "s")
    rep = R.build_report(R.load_sweep(root), n_resamples=200)
    assert "strict completion" not in R.render_polarization(rep)
    for res in (root / "cells").glob("*/result.json"):
        r = json.loads(res.read_text())
        r["metrics"]["polarization/strict_completion"] = 0.25 if r["choices"]["method"] == "focal" else 0.5
        res.write_text(json.dumps(r))
    rep = R.build_report(R.load_sweep(root), n_resamples=200)
    text = R.render_polarization(rep)
    assert "strict completion (higher is better)" in text
    focal = rep.polarization[(rep.polarization["metric"] == "strict_completion") & (rep.polarization["method"] == "focal")]
    assert focal["mean"].tolist() == pytest.approx([0.25] * 6)


def test_a_bad_pair_is_one_line_and_exit_2(tmp_path, capsys):
    assert R.main([str(tmp_path / "nope"), "--pair", "focal"]) == 2  # checked before the folder is read
    err = capsys.readouterr().err.strip()
    assert err.startswith("harness.report: --pair takes two") and "\n" not in err
