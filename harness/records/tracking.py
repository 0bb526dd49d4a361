"""Tracking: a W&B run (offline unless configured otherwise) plus the local JSONL mirror.

Everything logged goes to both, so reports work from the mirror alone. Run names,
groups and tags derive from the config; the config is logged with secrets redacted.
:func:`recording` is the one way a phase (training a policy, evaluating a cell) opens
its folder and its W&B run, and leaves its result.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.records.store import (
    RunDir,
    append_jsonl,
    redact,
    repair_jsonl,
    rewrite_jsonl,
    sweep_dir,
    to_container,
)

try:  # TrainerCallback is only needed when training; keep this module importable without it
    from transformers import TrainerCallback
except ImportError:  # pragma: no cover
    TrainerCallback = object  # type: ignore[misc,assignment]


log = logging.getLogger(__name__)


class Tracker:
    """A W&B run (``tracking.backend: wandb``, unless ``mode: disabled``) and the folder's mirror.
    ``config`` is logged as given: :func:`recording` hands it over with secrets redacted."""

    def __init__(
        self,
        run_dir: RunDir,
        tracking: Mapping[str, Any],
        name: str,
        config: Mapping[str, Any],
        job_type: str,
        tags: list[str] | None = None,
        wandb_dir: Path | None = None,
        run_id: str | None = None,
    ) -> None:
        self.run_dir = run_dir
        self.wandb = None
        self.wandb_run = None
        if tracking.get("backend", "wandb") == "wandb" and tracking.get("mode", "offline") != "disabled":
            import wandb

            mode = os.environ.get("WANDB_MODE") or tracking.get("mode", "offline")
            wdir = Path(wandb_dir or run_dir.path)
            wdir.mkdir(parents=True, exist_ok=True)
            self.wandb = wandb
            self.wandb_run = wandb.init(
                project=tracking.get("project", "focal-harness"),
                entity=tracking.get("entity"),
                group=tracking.get("group"),
                name=name,
                job_type=job_type,
                tags=list(tracking.get("tags") or []) + list(tags or []),
                config=dict(config),
                dir=str(wdir),
                mode=mode,
                reinit="finish_previous",
                # a requeued (preempted) job continues the same W&B run instead of starting another
                id=run_id,
                resume="allow" if run_id else None,
                settings=wandb.Settings(silent=True, console="off", x_disable_stats=True),
            )

    @property
    def wandb_path(self) -> str | None:
        if self.wandb_run is None:
            return None
        return str(Path(self.wandb_run.dir).parent)

    def log(self, metrics: Mapping[str, Any], step: int | None = None, phase: str = "eval") -> None:
        clean = {k: v for k, v in metrics.items() if not (isinstance(v, float) and math.isnan(v))}
        self.run_dir.log({"phase": phase, "step": step, **clean})
        if self.wandb_run is not None:
            self.wandb_run.log({f"{phase}/{k}": v for k, v in clean.items()}, step=step)

    def summary(self, values: Mapping[str, Any]) -> None:
        if self.wandb_run is not None:
            for k, v in values.items():
                self.wandb_run.summary[k] = v

    def finish(self) -> None:
        """Close the W&B run; never raises, so it cannot mask the exception that ends a job.

        On preemption SLURM signals every process of the job, W&B's service included; the
        local mirror is the record of truth and the requeued job resumes the same run id.
        """
        run, self.wandb_run = self.wandb_run, None
        if run is None:
            return
        try:
            run.finish()
        except Exception as e:  # noqa: BLE001 - best effort by design
            log.warning("W&B run %s did not finish cleanly (%s); the JSONL mirror is complete", run.id, e)


class JsonlMirror(TrainerCallback):
    """Mirrors every trainer log (what W&B gets from TRL) into the policy's metrics.jsonl.

    On resume, lines past the checkpoint's step (and a line the kill cut) are dropped
    first so the mirror neither loses nor duplicates a step.
    """

    def __init__(self, run_dir: RunDir) -> None:
        self.run_dir = run_dir

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        rows = repair_jsonl(self.run_dir.metrics)  # a line cut by the kill is dropped (one warning)
        # steps past the checkpoint are re-done and logged again; the summary is written again at the end
        keep = [r for r in rows if r.get("phase") not in ("train", "train_summary")
                or (r.get("phase") == "train" and (r.get("step") or 0) <= state.global_step)]
        if len(keep) != len(rows):
            rewrite_jsonl(self.run_dir.metrics, keep)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or not state.is_world_process_zero:
            return
        phase = "train_summary" if "train_runtime" in logs else "train"
        self.run_dir.log({"phase": phase, "step": state.global_step, **logs})


def write_outputs(ev, tracker: Tracker, step: int) -> None:
    """Log the flat metrics (mirror + W&B) and append one samples.jsonl line per item."""
    tracker.log(ev.result.flat(), step=step, phase="eval")
    for s in ev.result.samples:
        append_jsonl(tracker.run_dir.samples, s)
    if tracker.wandb_run is not None:
        import wandb

        cols = ["id", "prompt", "response", "scores"]
        table = wandb.Table(columns=cols, data=[[s["id"], s["prompt"], s["response"], str(s["scores"])]
                                                for s in ev.result.samples])
        tracker.wandb_run.log({"eval/samples": table}, step=step)


@dataclass
class Recording:
    """A phase's open folder: log to ``tracker``; set ``result`` to what the phase leaves."""

    run_dir: RunDir
    tracker: Tracker
    result: dict[str, Any] | None = None


@contextmanager
def recording(run_dir: RunDir, config: Mapping[str, Any], *, name: str, job_type: str, tags: Sequence[str],
              run_id: str, result_file: str = "result.json", summary: Sequence[str] = (),
              started: float | None = None, clear: str | None = None) -> Iterator[Recording]:
    """One phase's records, start to end. ``config`` is the whole config (resolved here, redacted
    once for both the folder's config.yaml and W&B; its ``tracking`` and ``run`` nodes say where
    the W&B run goes). The folder is opened (:meth:`RunDir.begin`, with ``clear``) and a W&B run
    started. When the block ends without an error, the ``summary`` keys of ``Recording.result``
    go to the W&B summary, the result gains ``wandb_run`` (and ``wall_time_s`` since ``started``,
    W&B's close included), and it is written to ``result_file`` before the folder is marked done.
    The W&B run is closed whatever happens; a failed phase leaves its folder not done."""
    full = redact(to_container(config))
    run_dir.begin(full, clear=clear)
    tracker = Tracker(run_dir, full["tracking"], name=name, config=full, job_type=job_type, tags=list(tags),
                      wandb_dir=sweep_dir(full["run"]), run_id=run_id)
    rec = Recording(run_dir, tracker)
    try:
        yield rec
        result = rec.result
        if result is None:
            raise RuntimeError(f"{run_dir.path}: the phase ended without a result")
        tracker.summary({k: result[k] for k in summary})
        result["wandb_run"] = tracker.wandb_path
    finally:
        tracker.finish()
    if started is not None:
        result["wall_time_s"] = round(time.time() - started, 2)
    run_dir.finish(result_file, result)
