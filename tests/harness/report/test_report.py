"""harness.report on synthetic sweep folders with known numbers (no generation, no network)."""

from __future__ import annotations

import json
import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from harness import report as R
from tests.harness.report.sweep_builder import BEST, DELTAS, EFFECTS, MEANS, SCORES, build_sweep

T975_2 = 4.302652729911275  # t_{0.975} with 2 degrees of freedom (tables)


@pytest.fixture
def sweep_dir(tmp_path):
    return build_sweep(tmp_path / "paper")


@pytest.fixture
def rep(sweep_dir):
    return R.build_report(R.load_sweep(sweep_dir), n_resamples=2000, seed=7)


def _row(df, scale, bench, method, **extra):
    sel = (df["scale"] == scale) & (df["benchmark"] == bench) & (df["method"] == method)
    for k, v in extra.items():
        sel &= df[k] == v
    assert sel.sum() == 1
    return df[sel].iloc[0]


# ---------------------------------------------------------------- loading


def test_load_reads_every_complete_cell(sweep_dir):
    sw = R.load_sweep(sweep_dir)
    assert len(sw.cells) == 6 * 3 * 3
    assert sw.missing == [] and sw.incomplete == [] and sw.duplicates == []
    assert set(sw.cells["method"]) == {"static", "prior", "focal"}
    assert {"dim/a", "dim/b", "polarization/worst_dimension", "polarization/severe_deficiency_rate"} <= set(sw.cells)
    assert sw.group == "paper"
    # curves keyed to (method, scale, seed) through result.json's policy_dir
    c = sw.curves
    assert set(c["method"]) == {"static", "prior", "focal"}
    assert set(c[c["key"].str.startswith("saturation/")]["method"]) == {"focal"}
    v = c[(c["method"] == "focal") & (c["scale"] == "small") & (c["seed"] == 2) & (c["step"] == 3)
          & (c["key"] == "satisfaction/hard_rule")]["value"]
    assert v.tolist() == [pytest.approx(0.32)]


# ---------------------------------------------------------------- the table


def test_main_table_means_and_t_intervals(rep):
    m = rep.main
    assert len(m) == 18
    for (scale, bench), by_method in MEANS.items():
        for method, mean in by_method.items():
            r = _row(m, scale, bench, method)
            assert r["n"] == 3
            assert r["mean"] == pytest.approx(mean, abs=1e-12)
            vals = SCORES[(scale, bench)][method]
            sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / 2)  # hand arithmetic, ddof=1
            half = T975_2 * sd / math.sqrt(3)
            assert r["ci_half"] == pytest.approx(half, abs=1e-9)
            assert r["ci_low"] == pytest.approx(mean - half, abs=1e-9)
            assert r["ci_high"] == pytest.approx(mean + half, abs=1e-9)
    # a worked value: small/alpha/static = 0.52 +/- 4.3027 * 0.02 / sqrt(3) = 0.52 +/- 0.049683
    assert _row(m, "small", "alpha", "static")["ci_half"] == pytest.approx(0.049683, abs=1e-6)
    # identical seeds: zero-width interval, not NaN
    r = _row(m, "small", "beta", "static")
    assert r["ci_low"] == pytest.approx(0.30) and r["ci_high"] == pytest.approx(0.30)


def test_single_seed_has_no_ci(tmp_path):
    one = {k: {m: v[:1] for m, v in d.items()} for k, d in SCORES.items()}
    rep = R.build_report(R.load_sweep(build_sweep(tmp_path / "one", one, seeds=(0,))))
    assert (rep.main["n"] == 1).all()
    assert rep.main["ci_low"].isna().all() and rep.main["ci_half"].isna().all()
    assert "(n=1, no CI)" in R.render_main_table(rep)
    assert rep.comparisons["delta_ci_low"].isna().all()  # no Welch interval from one seed
    assert "n/a" in R.render_comparisons(rep)


def test_strongest_baseline_is_chosen_per_cell(rep):
    c = rep.comparisons
    assert len(c) == 6
    for (scale, bench), (baseline, delta) in BEST.items():
        r = c[(c["scale"] == scale) & (c["benchmark"] == bench)].iloc[0]
        assert r["baseline"] == baseline
        assert r["baseline_mean"] == pytest.approx(MEANS[(scale, bench)][baseline])
        assert r["delta"] == pytest.approx(delta, abs=1e-12)
    assert set(c["baseline"]) == {"static", "prior"}  # both are picked somewhere: the choice is per cell


def test_non_baseline_methods_are_never_the_reference(tmp_path):
    extra = {("small", "alpha"): {"maxmin": [0.9, 0.9, 0.9]}}
    rep = R.build_report(R.load_sweep(build_sweep(tmp_path / "x", extra_methods=extra)))
    r = rep.comparisons[(rep.comparisons["scale"] == "small") & (rep.comparisons["benchmark"] == "alpha")].iloc[0]
    assert r["baseline"] == "static" and r["delta"] == pytest.approx(0.05)
    # maxmin is observed once, so the expected grid asks for it everywhere else: reported, not crashed on
    assert len(rep.sweep.missing) == 6 * 3 - 3
    assert all(m["method"] == "maxmin" for m in rep.sweep.missing)


def test_welch_interval_of_each_delta_matches_scipy(rep):
    r = rep.comparisons[(rep.comparisons["scale"] == "large") & (rep.comparisons["benchmark"] == "alpha")].iloc[0]
    t = stats.ttest_ind(SCORES[("large", "alpha")]["focal"], SCORES[("large", "alpha")]["static"], equal_var=False)
    ci = t.confidence_interval(0.95)
    assert (r["delta_ci_low"], r["delta_ci_high"], r["welch_p"]) == pytest.approx((ci.low, ci.high, t.pvalue))


# ---------------------------------------------------------------- wins, Wilcoxon, bootstrap


def test_win_count(rep):
    assert rep.wins == (5, 0, 6)
    assert "**5 of 6**" in R.render_statistics(rep)


def test_effects_are_cliffs_delta_by_hand(rep):
    assert rep.comparisons["effect"].tolist() == pytest.approx(EFFECTS)
    assert R.cliffs_delta([1, 2], [2, 2]) == pytest.approx(-0.5)  # (0 wins - 2 losses) / 4 pairs
    assert R.cliffs_delta([0.3], [0.3]) == 0.0 and R.cliffs_delta([0.4], [0.3]) == 1.0  # one seed each


def test_wilcoxon_on_effects_matches_scipy_and_hand_value(rep):
    ref = stats.wilcoxon(EFFECTS)
    assert rep.wilcoxon.statistic == pytest.approx(ref.statistic)
    assert rep.wilcoxon.pvalue == pytest.approx(ref.pvalue)
    # by hand: |effects| 1/3, 2/3, 1, 1, 1, 1 have ranks 1, 2, 4.5 x 4; the only negative one
    # (-2/3) has rank 2 -> W = 2 (not the raw deltas' W = 1: the ranks are over unit-free effects)
    assert rep.wilcoxon.statistic == 2


def test_sign_test_counts_wins_and_losses(rep):
    # 5 wins, 1 loss: two-sided binomial p = 2 * (C(6,0) + C(6,1)) / 2**6 = 14 / 64
    assert rep.sign.pvalue == pytest.approx(14 / 64)
    assert "5 positive, 1 negative, 0 zero" in rep.sign.message
    assert "**sign test**" in R.render_statistics(rep)
    assert math.isnan(R.sign_test([0.0, 0.0]).pvalue)


def test_bootstrap_ci_matches_scipy_seeded(rep):
    ref = stats.bootstrap((np.array(EFFECTS),), np.mean, confidence_level=0.95, n_resamples=2000,
                          rng=np.random.default_rng(7))
    b = rep.bootstrap
    assert b.statistic == pytest.approx(sum(EFFECTS) / 6)
    assert (b.low, b.high) == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high))
    assert b.low < b.statistic < b.high


@pytest.mark.parametrize("deltas, expect", [([], "needs >= 2"), ([0.1], "needs >= 2"), ([0.0, 0.0, 0.0], "all 3 differences are zero")])
def test_wilcoxon_degenerate_cases_give_messages(deltas, expect):
    r = R.wilcoxon_test(deltas)
    assert math.isnan(r.pvalue) and expect in r.message


def test_bootstrap_degenerate_cases_give_messages():
    assert "needs >= 2" in R.bootstrap_mean_ci([0.2]).message
    r = R.bootstrap_mean_ci([0.1, 0.1, 0.1])
    assert "degenerate" in r.message and r.low == r.high == pytest.approx(0.1)


def test_missing_target_gives_a_note_not_a_crash(sweep_dir):
    rep = R.build_report(R.load_sweep(sweep_dir), target="focal_prior")
    assert rep.comparisons.empty and rep.wins == (0, 0, 0)
    assert any("focal_prior" in n for n in rep.notes)
    text = R.render_statistics(rep)
    assert "0 of 0" in text and "needs >= 2" in text


# ---------------------------------------------------------------- polarization


def test_polarization_table(rep):
    p = rep.polarization
    assert set(p["metric"]) == {"worst_dimension", "severe_deficiency_rate"}
    for (scale, bench), by_method in MEANS.items():
        for method, mean in by_method.items():
            w = _row(p, scale, bench, method, metric="worst_dimension")
            s = _row(p, scale, bench, method, metric="severe_deficiency_rate")
            assert w["mean"] == pytest.approx(mean / 2, abs=1e-9)
            assert s["mean"] == pytest.approx(1 - mean, abs=1e-9)
            # the CI of 1 - x has the same half-width as that of x
            assert s["ci_half"] == pytest.approx(_row(rep.main, scale, bench, method)["ci_half"], abs=1e-6)


# ---------------------------------------------------------------- missing / incomplete


def test_missing_and_incomplete_cells_are_listed(sweep_dir, capsys):
    cells = sorted((sweep_dir / "cells").iterdir())
    gone = next(c for c in cells if c.name.startswith("focal-large-s1-beta-"))
    shutil.rmtree(gone)
    half = next(c for c in cells if c.name.startswith("prior-small-s2-gamma-"))
    (half / "DONE").unlink()
    stale = next(c for c in cells if c.name.startswith("static-small-s0-alpha-"))
    (stale / "DONE").write_text("0000000000\n")  # marker of another config: not complete
    sw = R.load_sweep(sweep_dir)
    assert {(m["method"], m["scale"], m["benchmark"], m["seed"]) for m in sw.missing} == {
        ("focal", "large", "beta", 1), ("prior", "small", "gamma", 2), ("static", "small", "alpha", 0)}
    assert sorted(sw.incomplete) == sorted([half.name, stale.name])
    rep = R.build_report(sw)
    assert _row(rep.main, "large", "beta", "focal")["n"] == 2
    assert R.main([str(sweep_dir), "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "3 expected cell(s) missing or incomplete" in out
    assert "focal / large / beta / seed 1" in out and half.name in out


def test_empty_folder_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert R.main([str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("harness.report: no cells in") and "\n" not in err
    assert R.main([str(tmp_path / "nope")]) == 2
    assert "no such sweep folder" in capsys.readouterr().err


def test_all_incomplete_exit_2(sweep_dir, capsys):
    for d in (sweep_dir / "cells").iterdir():
        (d / "DONE").unlink()
    assert R.main([str(sweep_dir)]) == 2
    assert "no complete cell" in capsys.readouterr().err


# ---------------------------------------------------------------- CLI and files


def test_cli_writes_markdown_csv_and_png(sweep_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert R.main([str(sweep_dir), "--out", str(out), "--n-resamples", "500"]) == 0
    printed = re.sub(r" +", " ", capsys.readouterr().out)  # tables are padded to align their columns
    assert "| scale | method | alpha | beta | gamma |" in printed
    assert "0.520 ± 0.050 (n=3)" in printed  # small/alpha/static
    assert "Δ focal − best static" in printed and "+0.050 vs static" in printed and "-0.020 vs prior" in printed
    for name in ("report.md", "main_table.csv", "comparisons.csv", "polarization.csv", "cells.csv", "statistics.json"):
        assert (out / name).stat().st_size > 0, name
    pngs = {p.name for p in out.glob("*.png")}
    for scale in ("small", "large"):
        for fam in ("satisfaction_kind", "satisfaction_tag", "saturation", "weight_kind", "weight_tag", "weight_stats"):
            assert f"curves_{fam}_{scale}.png" in pngs
    assert {"dimensions_alpha.png", "dimensions_beta.png", "dimensions_gamma.png"} <= pngs
    for p in out.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "report.md").read_text()
    assert "## Main table" in md and "## Polarization" in md and "![dimensions_alpha](dimensions_alpha.png)" in md
    csv = pd.read_csv(out / "comparisons.csv")
    assert csv["delta"].tolist() == pytest.approx(DELTAS)
    st = json.loads((out / "statistics.json").read_text())
    assert (st["wins"], st["comparisons"]) == (5, 6)
    assert st["wilcoxon"]["pvalue"] == pytest.approx(stats.wilcoxon(EFFECTS).pvalue)
    assert st["sign_test"]["pvalue"] == pytest.approx(14 / 64) and st["losses"] == 1


def test_default_out_is_inside_the_sweep(sweep_dir):
    assert R.main([str(sweep_dir), "--no-plots", "--target", "focal", "--baselines", "static"]) == 0
    c = pd.read_csv(sweep_dir / "report" / "comparisons.csv")
    assert set(c["baseline"]) == {"static"}
    assert not list((sweep_dir / "report").glob("*.png"))


def test_superseded_cell_is_ignored_and_listed(sweep_dir):
    import os

    old = next(c for c in (sweep_dir / "cells").iterdir() if c.name.startswith("focal-small-s0-alpha-"))
    new = old.with_name(old.name[:-10] + "ffffffffff")
    shutil.copytree(old, new)
    res = json.loads((new / "result.json").read_text())
    res.update(key="ffffffffff", score=0.61, cell=new.name)
    (new / "result.json").write_text(json.dumps(res))
    (new / "DONE").write_text("ffffffffff\n")
    t = (old / "result.json").stat().st_mtime
    os.utime(new / "result.json", (t + 10, t + 10))  # the newer result wins
    sw = R.load_sweep(sweep_dir)
    assert sw.duplicates == [old.name] and sw.missing == []
    r = _row(sw.cells, "small", "alpha", "focal", seed=0)
    assert r["score"] == pytest.approx(0.61) and r["cell"] == new.name
    assert "superseded" in R.render_missing(sw)


def test_runs_root_instead_of_sweep_hints_at_sweeps(tmp_path, capsys):
    build_sweep(tmp_path / "runs" / "paper")
    assert R.main([str(tmp_path / "runs")]) == 2
    assert "sweep folders inside: paper" in capsys.readouterr().err


def test_statistics_json_is_strict_json_when_tests_are_not_run(tmp_path):
    one = {("small", "alpha"): SCORES[("small", "alpha")]}
    out = tmp_path / "out"
    assert R.main([str(build_sweep(tmp_path / "one", one)), "--out", str(out), "--no-plots"]) == 0
    st = json.loads((out / "statistics.json").read_text(), parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    assert st["comparisons"] == 1 and st["wilcoxon"]["pvalue"] is None
    assert "needs >= 2" in st["wilcoxon"]["message"]


def test_training_end_averages_the_last_steps_and_drops_absent_columns():
    rows = []
    for seed, (clip, crit_a) in enumerate([(1.0, 0.2), (0.0, 0.4)]):
        for step in range(1, 9):
            early = step <= 3  # outside the last 5 steps: must not count
            rows += [
                ("static", "tiny", seed, "p", step, "completions/clipped_ratio", 0.5 if early else clip),
                ("static", "tiny", seed, "p", step, "satisfaction/tag/all", 0.9 if early else 0.6),
                ("static", "tiny", seed, "p", step, "satisfaction/tag/crit:a", 0.9 if early else crit_a),
                ("static", "tiny", seed, "p", step, "satisfaction/tag/crit:b", 0.9 if early else 0.7),
            ]
    curves = pd.DataFrame(rows, columns=["method", "scale", "seed", "policy", "step", "key", "value"])
    toy = R.report_settings({"train_end": {"mean satisfaction": "satisfaction/tag/all"}, "train_end_tags": ["level"],
                             "worst": {"worst criterion": "crit"}})
    end = R.training_end(curves, toy).set_index("seed")
    assert end.loc[0, "cut at length cap"] == pytest.approx(1.0) and end.loc[1, "cut at length cap"] == 0.0
    assert end.loc[0, "worst criterion"] == pytest.approx(0.2) and end.loc[1, "worst criterion"] == pytest.approx(0.4)
    assert end.loc[0, "mean satisfaction"] == pytest.approx(0.6) and "easy" not in end.columns
    text = re.sub(r" +", " ", R.render_training_end(curves, toy))
    # the defaults' hard rules / principles columns and the absent level columns are dropped
    assert "| scale | method | cut at length cap | mean satisfaction | worst criterion |" in text
    assert "0.500 ± 6.353 (n=2)" in text  # clipped ratio: mean 0.5, t(0.975, 1) * sem(1, 0) = 12.706 * 0.5


def test_training_end_leaves_out_a_policy_still_training(tmp_path):
    """A sweep read while a policy trains (or after it was killed): its curve loads, marked
    unfinished, and the end-of-training table counts only the finished seed."""
    sweep, names = build_sweep(tmp_path / "sw"), []
    for seed, done in ((0, True), (1, False)):
        names.append(f"static-small-s{seed}-{seed}{'a' * 9}")
        d = sweep / "policies" / names[-1]
        d.mkdir(parents=True)
        (d / "metrics.jsonl").write_text("".join(
            json.dumps({"phase": "train", "step": s, "satisfaction/tag/all": 0.5 + seed * 0.4}) + "\n"
            for s in range(1, 4)))
        if done:
            (d / "DONE").write_text(f"{seed}{'a' * 9}\n")
    curves = R.load_sweep(sweep).curves
    mine = curves[curves["policy"].isin(names)]
    assert set(mine.groupby("seed")["finished"].first().items()) == {(0, True), (1, False)}
    toy = R.report_settings({"train_end": {"mean satisfaction": "satisfaction/tag/all"}})
    end = R.training_end(mine, toy)
    assert list(end["seed"]) == [0] and end["mean satisfaction"].iloc[0] == pytest.approx(0.5)


def test_records_hold_what_the_report_reads_and_nothing_else(sweep_dir, tmp_path, capsys):
    pol = next((sweep_dir / "policies").iterdir())
    (pol / "model").mkdir()
    (pol / "model" / "model.safetensors").write_bytes(b"w" * 100)
    (pol / "checkpoints" / "checkpoint-3").mkdir(parents=True)
    (sweep_dir / "wandb").mkdir()
    (sweep_dir / "policies" / "focal-small-s9-0123456789").mkdir()  # still training: no DONE, not a record
    (sweep_dir / "policies" / "focal-small-s9-0123456789" / "metrics.jsonl").write_text("{}\n")
    rec = tmp_path / "records"
    (rec / "stale").mkdir(parents=True)  # an older export is replaced, not merged into
    assert R.main([str(sweep_dir), "--no-plots", "--out", str(tmp_path / "a"), "--records", str(rec)]) == 0
    assert f"record files to {rec}/" in capsys.readouterr().out
    names = {p.relative_to(rec).parts[0] for p in rec.iterdir()}
    assert names == {"cells", "policies"}
    files = {p.name for p in rec.rglob("*") if p.is_file()}
    assert files == {"DONE", "config.yaml", "result.json", "metrics.jsonl", "train_result.json"}
    assert not (rec / "policies" / "focal-small-s9-0123456789").exists()
    assert R.main([str(rec), "--no-plots", "--out", str(tmp_path / "b")]) == 0  # the report, rebuilt from records
    for name in ("cells.csv", "main_table.csv", "comparisons.csv", "polarization.csv"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text(), name


@pytest.mark.parametrize("where", [".", "..", "cells/x"])
def test_records_never_replace_the_sweep(sweep_dir, capsys, where):
    before = sorted(p.name for p in (sweep_dir / "cells").iterdir())
    assert R.main([str(sweep_dir), "--no-plots", "--records", str(sweep_dir / where)]) == 2
    assert "--records" in capsys.readouterr().err
    assert sorted(p.name for p in (sweep_dir / "cells").iterdir()) == before
    assert not (sweep_dir / "report").exists()  # refused before any work
