"""The first-GPU check: what only a GPU can show, in one script of at most 10 minutes on one GPU.

    python -m perf.first_gpu                        # Qwen/Qwen3-1.7B from the hub (or the HF cache)
    python -m perf.first_gpu --model /models/Qwen3-1.7B --judge-model /models/Qwen3-1.7B --out runs/first_gpu

Four checks, each a fresh process with its own time limit, then one table (check, status, seconds, what
it showed). Each check is one harness command a cluster user would run:

1. ``bf16``: one GRPO step of a Qwen3 scale in bfloat16 on the GPU (HF generation), rules judge;
2. ``vllm_colocate``: the same step with TRL's colocated vLLM engine generating (``scale.use_vllm``);
3. ``vllm_judge``: ``harness.models.vllm_server`` serving the judge model on the GPU, the paper's
   pairwise judge answering two rollouts through guided decoding (``judge=vllm``'s settings);
4. ``paper_step``: one step of ``experiment=paper``'s protocol (``experiment=paper_local`` with the
   Qwen3 scale, the managed vLLM judge on the same GPU and a local launcher): train, judge, evaluate, report.

It needs vLLM's CUDA build (``pip install -e '.[vllm]'``) and the model (hub access or a local folder).
A failed check prints the last lines of its log; the exit status is the number of failed checks.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

REPO = Path(__file__).resolve().parents[1]


def _sweep(out: Path, name: str, *overrides: str) -> list[str]:
    return [sys.executable, "-m", "harness.sweep", f"run.root={out}", f"run.sweep={name}", *overrides]


def checks(model: str, judge_model: str, out: Path) -> dict[str, list[str]]:
    step = ["experiment=smoke", "scale=qwen3_1_7b", f"scale.model={model}", "scale.gpus_per_node=1",
            "judge=rules", "data=instruct", "benchmark=ifeval", "benchmark.limit=2", "tracking=none",
            "train.max_steps=1", "train.use_cpu=false", "train.max_completion_length=64"]
    judge_code = (
        "from core.rubric import Criterion, Rubric\n"
        "from evals.judges.base import JudgeRequest\n"
        "from evals.judges.openai_judge import OpenAIJudge\n"
        "from harness.models.vllm_server import vllm_judge_server\n"
        "r = Rubric(criteria=(Criterion(text='Mentions Paris', kind='hard_rule'),"
        " Criterion(text='Is friendly', kind='principle')))\n"
        f"with vllm_judge_server({judge_model!r}, extra_args=['--gpu-memory-utilization', '0.5']) as url:\n"
        f"    j = OpenAIJudge(base_url=url, model={judge_model!r}, require_api_key=False, mode='pairwise',"
        " json_mode='json_schema', dialect='vllm', cache=False)\n"
        "    out = j.judge([JudgeRequest('Capital of France?', r, 'Paris.'),"
        " JudgeRequest('Capital of France?', r, 'No idea.')])\n"
        "    assert all(not x.unscorable for x in out), [x.rationale for x in out]\n"
        "    print('scores', [x.scores for x in out])\n"
    )
    return {
        "bf16": _sweep(out, "bf16", *step, "scale.use_vllm=false"),
        "vllm_colocate": _sweep(out, "vllm_colocate", *step, "scale.use_vllm=true",
                                "train.vllm_gpu_memory_utilization=0.3"),
        "vllm_judge": [sys.executable, "-c", judge_code],
        "paper_step": _sweep(out, "paper_step", "experiment=paper_local", "launcher=local",
                             "hydra.sweeper.params.method=focal", "hydra.sweeper.params.scale=qwen3_1_7b",
                             f"scale.model={model}", "scale.gpus_per_node=1", "scale.use_vllm=false",
                             f"judge.model={judge_model}", "train.max_steps=1", "train.use_cpu=false"),
    }


def run(name: str, cmd: Sequence[str], limit: float, log: Path) -> tuple[str, float, str]:
    t0 = time.monotonic()
    with open(log, "w") as f:
        try:
            rc = subprocess.run(cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT, timeout=limit).returncode
        except subprocess.TimeoutExpired:
            rc = None
    seconds = time.monotonic() - t0
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    detail = next((ln for ln in reversed(lines) if ln.startswith(("scores", "error", "[report]"))), "")
    status = "ok" if rc == 0 else ("timeout" if rc is None else f"exit {rc}")
    if status != "ok":
        print(f"--- {name} ({status}), last lines of {log}:\n" + "\n".join(lines[-15:]), flush=True)
    return status, seconds, detail[:100]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="what only a GPU can check, in one table")
    ap.add_argument("--model", default="Qwen/Qwen3-1.7B", help="the policy (a hub id or a folder)")
    ap.add_argument("--judge-model", default="Qwen/Qwen3-1.7B", help="the vLLM judge's model")
    ap.add_argument("--out", type=Path, default=Path("runs/first_gpu"))
    ap.add_argument("--limit", type=float, default=150.0, help="seconds a check (4 checks: 10 minutes)")
    ap.add_argument("--only", nargs="*", help="run these checks only")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WANDB_MODE", "offline")
    rows = []
    for name, cmd in checks(args.model, args.judge_model, args.out.resolve()).items():
        if args.only and name not in args.only:
            continue
        status, seconds, detail = run(name, cmd, args.limit, args.out / f"{name}.log")
        rows.append((name, status, f"{seconds:.0f}", detail))
    print(tabulate(rows, headers=["check", "status", "seconds", "detail"], tablefmt="github"))
    return sum(r[1] != "ok" for r in rows)


if __name__ == "__main__":
    raise SystemExit(main())
