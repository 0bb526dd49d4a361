"""One cell end to end (real GRPO training, evaluation, W&B offline, mirror), and the embedded
default main job (the toy sweep) end to end at small sizes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _wandb_history(run_dir: Path) -> list[dict]:
    wandb_bin = Path(sys.executable).with_name("wandb")
    out = subprocess.run(
        [str(wandb_bin) if wandb_bin.exists() else shutil.which("wandb"), "leet", "inspect", "--json", str(run_dir)],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [r["history"]["item"] for r in rows if r.get("type") == "history"]


def _sweep(tmp_path: Path, cache: Path, *overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(cache), "WANDB_MODE": "offline"}
    return subprocess.run(
        [sys.executable, "-m", "harness.sweep", f"run.root={tmp_path / 'runs'}", *overrides],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900,
    )


CELL = ("experiment=smoke", "train.max_steps=4")  # one single-benchmark cell


def test_default_cell_end_to_end(tmp_path, tiny_cache, tiny_model):
    proc = _sweep(tmp_path, tiny_cache, *CELL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = list((tmp_path / "runs" / "default" / "cells").iterdir())
    assert len(cells) == 1
    cell = cells[0]
    assert str(cell / "result.json") in proc.stdout  # it tells the user where the results are
    result = json.loads((cell / "result.json").read_text())
    assert (cell / "DONE").read_text().strip() == result["key"]

    # the benchmark score and the training metrics are in result.json
    assert result["benchmark"] == "ifeval" and result["primary"] == "prompt_level_strict_acc"
    assert 0.0 <= result["score"] <= 1.0 and result["score"] == result["metrics"]["prompt_level_strict_acc"]
    assert "polarization/severe_deficiency_rate" in result["metrics"]
    train = result["train"]
    from harness.compose import compose_sweep as compose

    cfg, _ = compose(list(CELL))
    assert train["steps"] == cfg.train.max_steps
    assert train["reward_first"] is not None and train["reward_last"] is not None

    # the JSONL mirror: one line per logged step, in order, with the reward
    policy = Path(result["policy_dir"])
    if not policy.is_absolute():
        policy = tmp_path / policy
    rows = [json.loads(x) for x in (policy / "metrics.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if r["phase"] == "train"]
    assert [r["step"] for r in train_rows] == list(range(1, cfg.train.max_steps + 1))
    mirror = {r["step"]: r["rewards/rubric/mean"] for r in train_rows}
    assert all("satisfaction/hard_rule" in r and "weight/entropy" in r for r in train_rows)

    # the W&B offline run of the training holds the same reward metric, step by step
    wandb_run = Path(train["wandb_run"])
    if not wandb_run.is_absolute():
        wandb_run = tmp_path / wandb_run
    hist = _wandb_history(wandb_run)
    logged = {int(h["train/global_step"]): h["train/rewards/rubric/mean"] for h in hist if "train/rewards/rubric/mean" in h}
    assert logged.keys() == mirror.keys()
    for step, value in mirror.items():
        assert logged[step] == pytest.approx(value)

    # the evaluation went to the cell's mirror too
    eval_rows = [json.loads(x) for x in (cell / "metrics.jsonl").read_text().splitlines()]
    assert eval_rows[-1]["phase"] == "eval" and eval_rows[-1]["prompt_level_strict_acc"] == result["score"]
    assert len((cell / "samples.jsonl").read_text().splitlines()) == result["n_items"]

    # training changed the tiny model's weights
    from safetensors.torch import load_file

    before = load_file(str(tiny_model / "model.safetensors"))
    after = load_file(str(policy / "model" / "model.safetensors"))
    assert before.keys() == after.keys()
    changed = [k for k in before if not (before[k] == after[k]).all()]
    assert len(changed) > len(before) // 2

    # a re-run of the finished cell trains and judges nothing; with run.records it mirrors the records
    n_wandb = len(list((tmp_path / "runs" / "default" / "wandb").glob("offline-run-*")))
    rec = tmp_path / "records"
    again = _sweep(tmp_path, tiny_cache, *CELL, f"run.records={rec}")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "already complete" in again.stdout
    assert len(list((tmp_path / "runs" / "default" / "wandb").glob("offline-run-*"))) == n_wandb
    assert json.loads((cell / "result.json").read_text()) == result
    assert (rec / "cells" / cell.name / "DONE").is_file() and (rec / "policies" / policy.name / "DONE").is_file()
    assert not list(rec.rglob("*.safetensors"))

    # the report's --records writes the same files
    rep = subprocess.run([sys.executable, "-m", "harness.report", "runs/default", "--no-plots", "--records",
                          str(tmp_path / "records2")], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rep.returncode == 0, rep.stderr[-2000:]
    assert ({p.relative_to(tmp_path / "records2") for p in (tmp_path / "records2").rglob("*")}
            == {p.relative_to(rec) for p in rec.rglob("*")})

    # a fresh run folder with run.records (another session, another machine): restored, training nothing
    (tmp_path / "elsewhere").mkdir()
    resumed = _sweep(tmp_path / "elsewhere", tiny_cache, *CELL, f"run.records={rec}")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "already complete" in resumed.stdout
    assert (tmp_path / "elsewhere" / "runs" / "default" / "cells" / cell.name / "result.json").is_file()
    assert not list((tmp_path / "elsewhere" / "runs" / "default").glob("wandb/offline-run-*"))


def test_main_job_is_the_toy_sweep_with_its_report(tmp_path, tiny_cache):
    """``python -m harness.sweep`` with no arguments is the toy sweep (``experiment=toy``); here at small
    sizes (two jobs, 2 GRPO steps, 2 items per benchmark), the same code path: one job per
    (method, seed) training once and evaluating the whole suite, then the report."""
    small = ["experiment=toy", "method=static,focal", "seed=0", "train.max_steps=2", "train.per_device_train_batch_size=8",
             "train.max_completion_length=12", "eval.max_new_tokens=8", "benchmark.limit=2", "tracking=none"]
    proc = _sweep(tmp_path, tiny_cache, *small)
    assert proc.returncode == 0, proc.stderr[-4000:]
    sweep = tmp_path / "runs" / "toy"
    from harness.compose import compose_sweep as compose

    cfg, _ = compose()
    suite = list(cfg.benchmark.suite)
    assert f"2 job(s) x {len(suite)} benchmark(s)" in proc.stdout  # the progress header
    policies = sorted(p.name.split("-")[0] for p in (sweep / "policies").iterdir())
    assert policies == ["focal", "static"]
    cells = sorted((sweep / "cells").iterdir())
    assert len(cells) == 2 * len(suite)
    for c in cells:
        r = json.loads((c / "result.json").read_text())
        assert (c / "DONE").read_text().strip() == r["key"] and r["benchmark"] in suite
    held = next(c for c in cells if "-toy_heldout-" in c.name)
    r = json.loads((held / "result.json").read_text())
    assert r["primary"] == "rubric_score" and r["n_items"] == 2
    assert {"worst_criterion", "polarization/severe_deficiency_rate", "dim/level:hard"} <= set(r["metrics"])
    # it ends with the report's table and where the plots are
    assert "Report of" in proc.stdout and re.search(r"\| scale +\| method +\|", proc.stdout) and "toy_heldout" in proc.stdout
    report = sweep / "report"
    assert (report / "report.md").exists() and (report / "curves_reward_tiny.png").exists()
    assert "plots (" in proc.stdout and str(report) in proc.stdout
    # the job timeline: one line per job, each with its training and the evaluation of its 7 cells
    from harness.records import jobs

    timeline = jobs.read(sweep)
    assert sorted(j["job"].split()[0] for j in timeline) == ["method=focal", "method=static"]
    assert all(j["cells"] == len(suite) and j["train_s"] > 0 and j["eval_s"] > 0 for j in timeline)
