"""The printers (post-sweep callback, a cell's and an evaluation's summary) share one renderer, and the
post-sweep report takes target, baselines and pairs from the Hydra config."""

from __future__ import annotations

import json

from omegaconf import OmegaConf

from harness import report as R
from harness.launch.callbacks import run_report, sweep_table
from harness.report.tables import markdown, plain
from tests.harness.report.sweep_builder import SCORES, build_sweep


def test_tables_align_columns_and_keep_cells_as_written():
    text = plain(("name", "score"), [("a-long-name", "+0.0300"), ("b", None)])
    lines = text.splitlines()
    assert lines[0].split() == ["name", "score"] and set(lines[1]) == {"-", " "}
    assert lines[2].split() == ["a-long-name", "+0.0300"] and lines[3].split() == ["b"]
    assert lines[2].index("+0.0300") == lines[0].index("score")  # aligned, the sign kept
    md = markdown(["a", "b"], [["x", "1.50"]]).splitlines()
    assert md[0].startswith("| a") and md[1].startswith("|--") and md[2].split() == ["|", "x", "|", "1.50", "|"]


def test_sweep_table_lists_done_and_incomplete_cells(tmp_path):
    root = build_sweep(tmp_path / "t", {("small", "alpha"): SCORES[("small", "alpha")]})
    cell = next(p for p in (root / "cells").iterdir() if p.name.startswith("focal-small-s0-"))
    (cell / "DONE").unlink()
    text = sweep_table(root)
    row = next(line for line in text.splitlines() if line.startswith(cell.name))
    assert "INCOMPLETE" in row and "0.5200" in text
    assert sweep_table(root, max_rows=3).startswith("9 cells: 8 done, 1 INCOMPLETE")


def test_post_sweep_report_takes_target_and_baselines_from_the_config(tmp_path):
    root = build_sweep(tmp_path / "r", extra_methods={k: {"pow3r": d["focal"]} for k, d in SCORES.items()})
    cfg = OmegaConf.create({"report": {"target": "prior", "baselines": ["static"], "pairs": [["focal", "pow3r"]]}})
    text = run_report(root, cfg.report)
    assert "prior against static in **" in text and "### focal vs pow3r" in text
    st = json.loads((root / "report" / "statistics.json").read_text())
    assert (st["target"], st["baselines"]) == ("prior", ["static"])
    assert st["pairs"][0]["ties"] == 6  # identical scores: every effect is 0
    # without a config node the defaults (focal vs static/prior) apply
    run_report(root)
    assert json.loads((root / "report" / "statistics.json").read_text())["target"] == "focal"


def test_cell_and_evaluate_summaries(tmp_path):
    from harness.cell.run import summary_table as cell_table
    from harness.evaluate import summary_table as eval_table

    res = {"cell": "c", "cell_dir": str(tmp_path), "benchmark": "ifeval", "n_items": 4, "primary": "acc",
           "score": 0.25, "policy_dir": "p", "train": {"steps": 3, "reward_first": 0.1, "reward_last": None},
           "metrics": {"polarization/worst_dimension": 0.5}}
    text = cell_table(res)
    assert any(line.split() == ["acc", "0.2500"] for line in text.splitlines())
    assert "0.1000 -> n/a" in text
    suite = cell_table({"cells": [res, {**res, "benchmark": "infobench", "skipped": True}]})
    assert "(already complete)" in suite and suite.splitlines()[0].split() == ["benchmark", "metric", "score", "cell"]
    ev = eval_table([res]).splitlines()
    assert ev[0].split()[:2] == ["benchmark", "items"] and ev[2].split()[:6] == ["ifeval", "4", "acc", "0.2500", "0.5000", "-"]
    assert R.fmt_ci(0.5, 0.1, 3) == "0.500 ± 0.100 (n=3)"
