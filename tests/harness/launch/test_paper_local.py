"""``experiment=paper_local`` end to end on the real local SLURM: the paper's protocol with only what
CUDA forces swapped. The sweep submits the vLLM judge (CPU build, serving SmolLM2) as its own SLURM
job, trains the four paper methods as submitit jobs that send their rollouts to it in the pairwise
mode, evaluates each policy on the six benchmarks' committed samples, writes records and the report,
and cancels the judge job at the end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import REPO_ROOT
from harness.models.vllm_env import VllmUnavailable, vllm_python

pytestmark = [pytest.mark.slurm, pytest.mark.vllm, pytest.mark.slow]

METHODS = {"static", "prior", "focal", "focal_prior"}
BENCHMARKS = {"healthbench", "writingbench", "arena_hard", "alpaca_eval", "ifeval", "infobench"}


@pytest.fixture(scope="module")
def ready():
    missing = pytest.fail if os.environ.get("FOCAL_REQUIRE_SLURM") == "1" else pytest.skip
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True) if shutil.which("scontrol") else None
    if ping is None or "UP" not in ping.stdout:
        missing("no SLURM controller answers (run slurm/local/start.sh as root)")
    try:
        vllm_python()
    except VllmUnavailable as e:
        (pytest.fail if os.environ.get("FOCAL_REQUIRE_VLLM") == "1" else pytest.skip)(str(e))


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_paper_local_runs_the_paper_protocol_on_slurm(ready, tmp_path, tiny_cache):
    root = tmp_path / "runs"
    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(tiny_cache), "WANDB_MODE": "offline"}
    for name in ("VLLM_JUDGE_URL", "FOCAL_MANAGED_JUDGE_URL"):
        env.pop(name, None)
    p = subprocess.run([sys.executable, "-m", "harness.sweep", "experiment=paper_local", f"run.root={root}"],
                       cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=2400)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    sweep = root / "paper_local"
    # the judge ran as its own SLURM job and was cancelled at the end
    assert "vLLM judge job" in out and "serving at http://" in out
    (judge_folder,) = [q for q in (sweep / "hydra").glob("*/.submitit/judge")]
    job_ids = [q.name for q in judge_folder.iterdir() if q.is_dir() and q.name.isdigit()]
    assert len(job_ids) == 1
    state = subprocess.run(["sacct", "-n", "-X", "-j", job_ids[0], "-o", "State"], capture_output=True, text=True)
    assert "CANCELLED" in state.stdout or "COMPLETED" in state.stdout, state.stdout
    # four policies, each trained with the LLM judge (requests > 0, pairwise, scorable verdicts)
    policies = sorted((sweep / "policies").iterdir())
    assert {q.name.split("-")[0] for q in policies} == METHODS
    requests = 0
    for pol in policies:
        train = [r for r in _rows(pol / "metrics.jsonl") if r.get("phase") == "train"]
        assert [r["step"] for r in train] == [1, 2], pol.name
        assert train[-1].get("judge/judgments", 0) > 0, pol.name  # verdicts: asked, or the cache's (same seed)
        assert min(r.get("judge/unscorable_fraction", 1.0) for r in train) < 1.0, pol.name  # it learned from something
        requests += max(r.get("judge/requests", 0) for r in train)
    assert requests > 0  # the judge job answered (later policies may reuse the same-seed verdicts)
    # every cell: one result per (policy, benchmark)
    results = [json.loads(q.read_text()) for q in (sweep / "cells").rglob("result.json")]
    assert len(results) == len(METHODS) * len(BENCHMARKS)
    assert {r["benchmark"] for r in results} == BENCHMARKS
    # the report and W&B's own offline files
    assert any((sweep / "report").glob("*.md")) or any(sweep.glob("report*.md")), sorted(q.name for q in sweep.iterdir())
    assert list(root.rglob("offline-run-*/run-*.wandb"))
