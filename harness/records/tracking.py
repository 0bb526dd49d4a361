"""Tracking: a W&B run (offline unless configured otherwise) plus the local JSONL mirror.

Everything logged goes to both, so reports work from the mirror alone. Run names,
groups and tags derive from the config; the config is logged with secrets redacted.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.records.store import RunDir, append_jsonl, redact, repair_jsonl, rewrite_jsonl

try:  # TrainerCallback is only needed when training; keep this module importable without it
    from transformers import TrainerCallback
except ImportError:  # pragma: no cover
    TrainerCallback = object  # type: ignore[misc,assignment]


log = logging.getLogger(__name__)


class Tracker:
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
                config=redact(dict(config)),
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
        from harness.records.store import repair_jsonl, rewrite_jsonl

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
        append_jsonl(tracker.run_dir.path / "samples.jsonl", s)
    if tracker.wandb_run is not None:
        import wandb

        cols = ["id", "prompt", "response", "scores"]
        table = wandb.Table(columns=cols, data=[[s["id"], s["prompt"], s["response"], str(s["scores"])]
                                                for s in ev.result.samples])
        tracker.wandb_run.log({"eval/samples": table}, step=step)


def clear_outputs(run_dir: RunDir, everything: bool = False) -> None:
    """Undo an earlier attempt's :func:`write_outputs` before evaluating again: its eval rows leave
    the mirror (rewritten atomically, a line cut by a kill dropped too; ``everything``: the whole
    mirror goes) and samples.jsonl goes. A SIGKILL between the eval row and result.json would
    otherwise leave that row twice in the mirror after the re-run."""
    (run_dir.path / "samples.jsonl").unlink(missing_ok=True)
    if everything:
        run_dir.metrics.unlink(missing_ok=True)
        return
    rows = repair_jsonl(run_dir.metrics)
    keep = [r for r in rows if r.get("phase") != "eval"]
    if len(keep) != len(rows):
        rewrite_jsonl(run_dir.metrics, keep)
