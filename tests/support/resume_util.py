"""Helpers of the resume and chaos tests: run a cell in this process or killed in a subprocess,
and compare two policies' mirrors and final weights."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from core.config import REPO_ROOT
from harness.records.store import read_jsonl
from tests.support.kill import Outcome, checkpoint_written, run_until, sweep_command

# what legitimately differs between an uninterrupted and a resumed run: wall-clock timings
# (these and every harness.cell.timing "timing/*" key)
TIMING = ("step_time", "train_runtime", "train_samples_per_second", "train_steps_per_second")


def cell_overrides(root: Path, cache: Path, extra: Sequence[str]) -> list[str]:
    return [f"run.root={root}", f"cache_dir={cache}", *extra]


def run_in_process(overrides: Sequence[str]) -> dict:
    """One cell exactly as ``python -m harness.sweep <overrides>`` runs it, in this process."""
    from harness.cell.run import run_cell
    from harness.compose import compose_sweep as compose

    cfg, choices = compose(list(overrides))
    return run_cell(cfg, choices)


def env(cache: Path) -> dict[str, str]:
    repo = str(REPO_ROOT)
    return {**os.environ, "FOCAL_HARNESS_CACHE": str(cache), "PYTHONPATH": repo, "HF_HUB_OFFLINE": "1"}


def policy_dir(root: Path) -> Path | None:
    found = sorted((Path(root) / "default" / "policies").glob("*/"))
    return found[0] if found else None


def kill_after_checkpoint(overrides: Sequence[str], root: Path, cache: Path, step: int, log: Path) -> Outcome:
    """Start the cell in a subprocess and SIGKILL it once ``checkpoint-<step>`` is complete."""

    def ckpts() -> Path | None:
        p = policy_dir(root)
        return p / "checkpoints" if p else None

    return run_until(sweep_command(overrides), kill_when=checkpoint_written(ckpts, step), env=env(cache),
                     log_path=log)


def train_rows(policy: Path) -> list[dict]:
    return [r for r in read_jsonl(policy / "metrics.jsonl") if r.get("phase") == "train"]


def close(a: object, b: object, rel: float = 1e-6) -> bool:
    if isinstance(a, float) and isinstance(b, float) and (math.isnan(a) or math.isnan(b)):
        return math.isnan(a) and math.isnan(b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)
    return a == b


def mirror_differences(ref: list[dict], got: list[dict], rel: float = 1e-6) -> list[str]:
    """Where two train mirrors differ: steps, keys, values (timings excepted)."""
    out = []
    if [r["step"] for r in ref] != [r["step"] for r in got]:
        return [f"steps {[r['step'] for r in ref]} != {[r['step'] for r in got]}"]
    for a, b in zip(ref, got, strict=True):
        ka = {k for k in a if k not in TIMING and not k.startswith("timing/")}
        kb = {k for k in b if k not in TIMING and not k.startswith("timing/")}
        if ka != kb:
            out.append(f"step {a['step']}: keys differ {sorted(ka ^ kb)}")
        out += [f"step {a['step']}: {k} {a[k]!r} != {b[k]!r}" for k in sorted(ka & kb) if not close(a[k], b[k], rel)]
    return out


def weight_differences(ref: Path, got: Path, rel: float = 1e-6) -> list[str]:
    import torch
    from safetensors.torch import load_file

    a, b = load_file(str(ref / "model" / "model.safetensors")), load_file(str(got / "model" / "model.safetensors"))
    if set(a) != set(b):
        return [f"tensors differ: {sorted(set(a) ^ set(b))}"]
    return [k for k in sorted(a) if not torch.allclose(a[k], b[k], rtol=rel, atol=0.0)]
