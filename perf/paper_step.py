"""Where a paper_mini GRPO step's time goes: LLM judge, rules judge and bare TRL side by side.

Why: experiment=paper_mini grades every rollout with an LLM judge inside the GRPO loop; this says how
much of a step that costs, and whether the harness around TRL costs anything itself (goal: harness
step with the rules judge <= 1.05x a bare TRL step). Three arms, each a fresh process, run one after
another (interleaved over ``--repeats``), all with paper_mini's ``train`` node (SmolLM2-135M-Instruct,
2 prompts x 2 rollouts = batch 4, 48 new tokens, lr 2e-5), method static, seed 0:

* ``llm judge``: ``python -m harness.sweep experiment=paper_mini`` (data=healthbench_sample, judge=local
  in rubric mode). The run starts the llama.cpp server before training, so its start-up is in no step;
  the judge cache is off (``judge.cache=false``) so every rollout is really asked.
* ``rules judge``: the same settings with the offline rules judge. HealthBench's criteria are
  LLM-judged only, so this arm trains on data=instruct (experiment=smol: every criterion has a rules
  check), the closest like-for-like: same model, batch, lengths and GRPO settings, other prompts.
* ``bare TRL``: ``trl.GRPOTrainer`` built directly in a fresh process on the rules arm's model files,
  GRPOConfig values (``harness.cell.train.grpo_args``), dataset rows and reward function
  (``harness.cell.rewards.RubricReward`` with the rules judge and static): no Hydra, records,
  resumable trainer or JSONL mirror. Same torch threads and allocator setting as a harness job.

Seconds per step come from the same timer in every arm (``harness.cell.timing.StepTimer``);
``--warmup`` first steps (default 1) are left out; each column is the median over repeats.

    python -m perf.paper_step --steps 4 --repeats 2     # the figures in docs/notes/2026-12-05-paper-mini-step-time.md
    python -m perf.paper_step --steps 2                 # the smallest check, one measured step
    python -m perf.paper_step --arms rules bare --repeats 3   # the harness overhead alone, minutes
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from harness.cell.timing import PARTS, summarize
from harness.report.tables import markdown

COMMON = ["hydra.mode=RUN", "method=static", "seed=0", "tracking=none", "benchmark.suite=[ifeval]",
          "benchmark.limit=1"]  # evaluation: one IFEval item, scored without a judge
ARMS = {
    "llm judge": ("healthbench_sample, judge=local",
                  ["experiment=paper_mini", "judge.cache=false", "~benchmark.members.writingbench"]),
    "rules judge": ("instruct, judge=rules", ["experiment=smol"]),
    "bare TRL": ("instruct, judge=rules", None),  # no harness.sweep: bare_trl() in a fresh process
}
GOAL = 1.05


def train_node(steps: int) -> dict[str, Any]:
    """paper_mini's GRPO settings, ``steps`` long (one checkpoint, at the end: after the last timed step)."""
    from omegaconf import OmegaConf

    from harness.compose import compose_sweep

    cfg, _ = compose_sweep(["experiment=paper_mini"])
    train = OmegaConf.to_container(cfg.train, resolve=True, enum_to_str=True)
    assert isinstance(train, dict)
    return {**train, "max_steps": steps, "save_steps": steps}


def overrides(train: dict[str, Any]) -> list[str]:
    def value(v: Any) -> str:
        return "null" if v is None else str(v).lower() if isinstance(v, bool) else str(v)

    return [f"train.{k}={value(v)}" for k, v in train.items()]


def run_harness(root: Path, name: str, extra: list[str], train: dict[str, Any]) -> list[dict[str, Any]]:
    """One fresh harness run; its policy's training rows (metrics.jsonl, one per step)."""
    from harness.records.store import read_jsonl

    sweep = name.replace(" ", "_")
    cmd = [sys.executable, "-m", "harness.sweep", *extra, *COMMON, *overrides(train), f"run.root={root}",
           f"run.sweep={sweep}"]
    env = {k: v for k, v in os.environ.items() if k != "LOCAL_JUDGE_URL"}  # the run serves its own judge
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise SystemExit(f"{name}: {' '.join(cmd[1:])} failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
    (metrics,) = (root / sweep).glob("policies/*/metrics.jsonl")
    return [r for r in read_jsonl(metrics) if r.get("phase") == "train"]


def bare_trl(cfg: dict[str, Any], out_dir: str) -> list[dict[str, Any]]:
    """TRL's GRPOTrainer with no harness around it; its log rows (run in a spawned process)."""
    import torch
    from hydra.utils import instantiate
    from omegaconf import OmegaConf
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOTrainer

    from core.data import load_training_examples
    from harness.cell.glibc_heap import keep_freed_memory
    from harness.cell.rewards import RubricReward
    from harness.cell.timing import StepTimer
    from harness.cell.train import gpu_plan, grpo_args, training_dataset
    from harness.models.resolve import resolve_model

    log = os.open(Path(out_dir) / "log.txt", os.O_WRONLY | os.O_CREAT)  # progress bars off the table's terminal
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    torch.set_num_threads(int(cfg["scale"]["cpus_per_task"]))  # what a harness job does (harness.cell.run)
    keep_freed_memory()
    rows: list[dict[str, Any]] = []

    class Rows(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "train_runtime" not in logs:
                rows.append({"phase": "train", "step": state.global_step, **logs})

    model_path = resolve_model(cfg["scale"]["model"], cfg["cache_dir"])
    gpu = gpu_plan(cfg["scale"])
    train_examples, _ = load_training_examples(OmegaConf.create(cfg["data"]))
    timer = StepTimer()
    reward = RubricReward(instantiate(cfg["judge"]), instantiate(cfg["method"]), timer=timer.parts, examples=train_examples)
    trainer = GRPOTrainer(
        model=AutoModelForCausalLM.from_pretrained(model_path, dtype=gpu["dtype"]),
        reward_funcs=[reward],
        args=grpo_args(cfg["train"], cfg["seed"], Path(out_dir), gpu, [], cfg["scale"].get("thinking")),
        train_dataset=training_dataset(train_examples),
        processing_class=AutoTokenizer.from_pretrained(model_path),
        callbacks=[Rows()],
    )
    timer.attach(trainer)  # the measurement only: wraps generation, times steps (as in every arm)
    trainer.train()
    return rows


def run_bare(root: Path, train: dict[str, Any]) -> list[dict[str, Any]]:
    from omegaconf import OmegaConf

    from harness.compose import compose_sweep

    cfg, _ = compose_sweep([*ARMS["rules judge"][1], *COMMON, *overrides(train)])
    plain = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True, throw_on_missing=False)
    job = {k: plain[k] for k in ("scale", "data", "judge", "method", "train", "seed", "cache_dir")}
    (root / "bare").mkdir()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            return pool.submit(bare_trl, job, str(root / "bare")).result()
        except Exception as e:
            log = (root / "bare" / "log.txt").read_text()[-3000:]
            raise SystemExit(f"bare TRL failed: {type(e).__name__}: {e}\n{log}") from None


def arm_summary(rows: list[dict[str, Any]], warmup: int) -> dict[str, float]:
    """Seconds per step of each part over the rows after ``warmup``; judge requests per step (the
    judge's counter is cumulative) and mean completion tokens."""
    rows = sorted(rows, key=lambda r: r["step"])
    kept = rows[warmup:]
    if not kept:
        raise SystemExit(f"{len(rows)} step(s) logged, all warm-up: use more --steps than --warmup")
    out = summarize(kept)
    before = rows[warmup - 1].get("judge/requests", 0.0) if warmup else 0.0
    out["requests"] = (kept[-1].get("judge/requests", 0.0) - before) / len(kept)
    out["tokens"] = statistics.fmean(r.get("completions/mean_length", 0.0) for r in kept)
    return out


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def ratios(arms: dict[str, dict[str, float]]) -> list[tuple[str, float, str]]:
    """(what, value, reading) for the ratios the issue asks for, from per-arm medians (those whose
    arms ran)."""
    llm, rules, bare = (arms.get(a) for a in ("llm judge", "rules judge", "bare TRL"))
    out = [(f"judge share of the step, {name}", s["judge_share"], "judge s / step s")
           for name, s in (("llm judge", llm), ("rules judge", rules)) if s]
    if llm and rules:
        out += [("llm judge step / rules judge step", llm["step"] / rules["step"], "x"),
                ("llm / rules step without the judge", (llm["step"] - llm["judge"]) / (rules["step"] - rules["judge"]),
                 "x: what the other prompts (data) change")]
    if rules and bare:
        overhead = rules["step"] / bare["step"]
        out.append(("harness overhead: rules judge step / bare TRL step", overhead,
                    f"x ({'meets' if overhead <= GOAL else 'misses'} the {GOAL:.2f}x goal)"))
    return out


def render(arms: dict[str, dict[str, float]], steps: int, warmup: int, repeats: int) -> str:
    head = ["arm", "data, judge", "step s", *(f"{p} s" for p in PARTS), "judge req/step", "judge %",
            "completion tokens"]
    body = [[name, ARMS[name][0], f"{s['step']:.2f}", *(f"{s[p]:.2f}" for p in PARTS), f"{s['requests']:.1f}",
             f"{100 * s['judge_share']:.1f}", f"{s['tokens']:.1f}"] for name, s in arms.items()]
    lines = [markdown(head, body), "", markdown(["ratio", "value", ""], [
        [what, f"{100 * v:.1f} %" if "share" in what else f"{v:.2f}", note] for what, v, note in ratios(arms)])]
    lines.append(f"\nseconds per step (harness.cell.timing), steps {warmup + 1}-{steps} of each run "
                 f"(warm-up excluded), median of {repeats} run(s) per arm, column by column; paper_mini's train "
                 f"node, method static, seed 0; judge server start-up outside every step")
    return "\n".join(lines)


def plot(arms: dict[str, dict[str, float]], path: Path) -> None:
    """Where each arm's step goes, as stacked bars (seconds per step by part): the docs' figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.7 + 0.6 * len(arms)))
    names = list(arms)[::-1]
    left = [0.0] * len(names)
    for part in PARTS:
        widths = [arms[n][part] for n in names]
        ax.barh(names, widths, left=left, label=part)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_xlabel("seconds per GRPO step")
    ax.legend(ncol=len(PARTS), fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m perf.paper_step", description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4, help="GRPO steps per run (default 4)")
    ap.add_argument("--warmup", type=int, default=1, help="first steps left out (default 1)")
    ap.add_argument("--repeats", type=int, default=1, help="runs per arm, interleaved (default 1)")
    ap.add_argument("--arms", nargs="+", choices=[a.split()[0] for a in ARMS], default=[a.split()[0] for a in ARMS],
                    help="which arms (default all; 'rules bare' checks the harness overhead in minutes)")
    ap.add_argument("--plot", type=Path, default=None, help="also draw the breakdown as a PNG here")
    args = ap.parse_args(argv)
    train = train_node(args.steps)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in ARMS if name.split()[0] in args.arms}
    for i in range(args.repeats):
        for name in runs:
            extra = ARMS[name][1]
            with tempfile.TemporaryDirectory(prefix="paper-step-") as tmp:
                rows = run_bare(Path(tmp), train) if extra is None else run_harness(Path(tmp), name, extra, train)
            runs[name].append(arm_summary(rows, args.warmup))
            got = {k: round(v, 3) for k, v in runs[name][-1].items()}
            print(f"repeat {i + 1}/{args.repeats} {name}: {json.dumps(got)}", file=sys.stderr, flush=True)
    medians = {name: median(r) for name, r in runs.items()}
    print(render(medians, args.steps, args.warmup, args.repeats))
    if args.plot:
        plot(medians, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
