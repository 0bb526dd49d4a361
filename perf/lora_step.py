"""GRPO step time with full fine-tuning and with LoRA (``peft=lora``), side by side, through the
real training path (``python -m harness.sweep``: TRL's GRPOTrainer, the rules judge, the timers of
harness.cell.timing).

Why: LoRA (r 16) trains 3.6 % of SmolLM2's weights, which shrinks the optimizer step and the weight
gradients, but generation and the forward/backward pass through the frozen base stay; whether that
makes a step faster on CPU is measured here, not assumed. Each variant is one fresh run of the same
cell (same seed, data and settings; ``peft`` is the only difference), in sequence, alone.

    python -m perf.lora_step --steps 4                       # experiment=smol (SmolLM2, 2 cores)
    python -m perf.lora_step --steps 2 -- experiment=smoke   # the tiny model, about a minute
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.cell.timing import PARTS, policy_timings
from harness.report.tables import markdown

VARIANTS = {"full fine-tuning": [], "lora": ["peft=lora"]}


def run_variant(root: Path, name: str, extra: list[str], steps: int, overrides: list[str]) -> dict:
    sweep = name.replace(" ", "_")
    cmd = [sys.executable, "-m", "harness.sweep", *overrides, "hydra.mode=RUN", "method=static", "seed=0",
           f"train.max_steps={steps}", f"train.save_steps={steps}", "benchmark=toy_heldout", "benchmark.limit=1",
           "tracking=none", f"run.root={root}", f"run.sweep={sweep}", *extra]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise SystemExit(f"{name}: {' '.join(cmd[1:])} failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
    ((_, timing),) = policy_timings(root / sweep)
    (result,) = (root / sweep / "cells").glob("*/result.json")
    return {**timing, **json.loads(result.read_text())["train"]["parameters"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("overrides", nargs="*", default=["experiment=smol"], help="sweep overrides (after --)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        got = {name: run_variant(Path(tmp), name, extra, args.steps, args.overrides)
               for name, extra in VARIANTS.items()}
    ref = got["full fine-tuning"]["step"]
    rows = [[name, f"{r['trained'] / 1e6:.2f} M of {r['total'] / 1e6:.1f} M", int(r["steps"]),
             *(f"{r[p]:.2f}" for p in PARTS), f"{r['step']:.2f}", f"{ref / r['step']:.2f}x"]
            for name, r in got.items()]
    print(markdown(["variant", "trained params", "steps", *(f"{p} s" for p in PARTS), "step s", "speed-up"],
                   rows))
    print(f"\n{' '.join(args.overrides)}; mean seconds per step of each part (harness.cell.timing), "
          f"the first step included")


if __name__ == "__main__":
    main()
