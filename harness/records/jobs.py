"""The sweep's job timeline: one line per finished job in ``runs/<sweep>/jobs.jsonl``.

When each job started and ended, in which process, and where its time went: ``import_s`` (torch,
transformers, TRL, lm-eval; about 0 when a pool worker already has them), ``train_s`` (TRL's train
loop; 0 when the policy was already trained), ``eval_s`` (generation, judging, scoring and logging of
every benchmark cell it ran), and the job's wall time; the rest of a job is model loading, trainer
set-up and W&B. ``perf/main_job.py`` turns it into the main job's breakdown; on a cluster it shows
which jobs were slow. Each append is one short line (``O_APPEND``), so parallel jobs do not interleave.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.records.store import append_jsonl, read_jsonl

HEAVY = ("torch", "transformers", "trl", "lm_eval", "wandb")
FILE = "jobs.jsonl"


def import_heavy() -> float:
    """Import the heavy libraries every job needs; seconds it took (about 0 in a reused worker)."""
    t = time.perf_counter()
    for name in HEAVY:
        importlib.import_module(name)
    return time.perf_counter() - t


def job_record(overrides: Sequence[str], start: float, end: float, import_s: float,
               result: Mapping[str, Any]) -> dict[str, Any]:
    """One timeline line from a job's ``run_cell`` result (a single cell, or a suite's cells)."""
    cells = list(result.get("cells", [result]))
    fresh = [c for c in cells if not c.get("skipped")]
    trained = next((c["train"] for c in fresh if c.get("train", {}).get("trainer")), None)
    return {"job": " ".join(overrides), "pid": os.getpid(), "start": round(start, 3), "end": round(end, 3),
            "wall_s": round(end - start, 3), "import_s": round(import_s, 3),
            "train_s": round(float(trained["trainer"]["train_runtime"]), 3) if trained else 0.0,
            "eval_s": round(sum(float(c.get("wall_time_s", 0.0)) for c in fresh), 3), "cells": len(fresh)}


def append(sweep: Path, record: Mapping[str, Any]) -> None:
    append_jsonl(Path(sweep) / FILE, record)


def read(sweep: Path) -> list[dict[str, Any]]:
    path = Path(sweep) / FILE
    return read_jsonl(path) if path.is_file() else []
