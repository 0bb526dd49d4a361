"""Several training processes in one job (harness.cell.distributed): real tasks started by submitit's
local executor, real torch.distributed (gloo on CPU), real TRL GRPOTrainer under DDP.

The SLURM variant (tasks started by srun) is in test_slurm.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# one GRPO group of 4 per step, split over the 2 processes (2 rollouts each)
TWO = (
    "hydra/launcher=local",  # submitit starts the job's two tasks (the pool runs one process per job)
    "experiment=smoke",
    "scale.processes_per_node=2",
    "scale.cpus_per_task=1",
    "train.per_device_train_batch_size=2",
    "train.num_generations=4",
    "benchmark=ifeval",
)


def _run(tmp: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(cache), "WANDB_MODE": "offline"}
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    return subprocess.run(
        [sys.executable, "-m", "harness.sweep", *args, f"run.root={tmp / 'runs'}"],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=900,
    )


def check_two_process_run(runs: Path) -> None:
    """What a 2-process job must leave behind (shared with the SLURM test)."""
    [policy] = (runs / "default" / "policies").iterdir()
    [cell] = (runs / "default" / "cells").iterdir()
    train = json.loads((policy / "train_result.json").read_text())
    assert train["processes"] == 2 and train["steps"] == 2
    steps = [json.loads(x) for x in (policy / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in steps if r["phase"] == "train"] == [1, 2]  # rank 0 alone writes the mirror
    result = json.loads((cell / "result.json").read_text())
    assert result["benchmark"] == "ifeval" and result["train"]["processes"] == 2
    assert (cell / "DONE").exists() and (policy / "DONE").exists()
    logs = sorted(p.name for p in (runs / "default" / "hydra").glob("*/.submitit/*/*_log.err"))
    assert any(n.endswith("_0_log.err") for n in logs) and any(n.endswith("_1_log.err") for n in logs), logs
    for err in (runs / "default" / "hydra").glob("*/.submitit/*/*_1_log.err"):
        assert "Traceback" not in err.read_text(), err.read_text()[-2000:]


def test_two_training_processes_in_one_job(tmp_path, tiny_cache):
    proc = _run(tmp_path, tiny_cache, "-m", *TWO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    check_two_process_run(tmp_path / "runs")
    # a re-run: rank 0 finds the cell done and releases rank 1 at once
    [cell] = (tmp_path / "runs" / "default" / "cells").iterdir()
    before = (cell / "result.json").read_text()
    again = _run(tmp_path, tiny_cache, "-m", *TWO)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (cell / "result.json").read_text() == before


def test_several_processes_need_a_launcher(tmp_path, tiny_cache):
    proc = _run(tmp_path, tiny_cache, *TWO)  # no -m: one process would silently train alone
    assert proc.returncode != 0
    assert "processes_per_node=2 needs a launcher" in proc.stderr
    assert not (tmp_path / "runs" / "default" / "policies").exists()
