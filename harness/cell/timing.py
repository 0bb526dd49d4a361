"""Where a GRPO step's time goes: generation, judging, aggregation, optimizer step, the rest.

``StepTimer`` is a TrainerCallback: ``attach(trainer)`` wraps the trainer's generation call and
puts the timer first among the callbacks, so the ``timing/*`` keys it adds to every log reach
W&B and the JSONL mirror. The reward function times its judge call and itself whole on
``StepTimer.parts``; aggregation (normalize, group, method, diagnostics) is the difference. Values are seconds per optimizer step, averaged over the logging interval;
``timing/other_s`` is the step's remainder (forward/backward, log-probs, data). ``python -m
harness.cell.timing <sweep dir>`` prints the per-policy table from the mirrors.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

PARTS = ("generation", "judge", "aggregation", "optimizer", "other")


class Parts:
    """Accumulated seconds per named part (used by the reward function without TRL)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def time(self, part: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[part] += time.perf_counter() - t

    def drain(self) -> dict[str, float]:
        """The seconds accumulated since the last drain; the accumulator starts again from empty."""
        out, self.seconds = dict(self.seconds), defaultdict(float)
        return out


class StepTimer(TrainerCallback):
    def __init__(self) -> None:
        self.parts = Parts()
        self._step_start: float | None = None
        self._opt_start = 0.0
        self._steps = 0
        self._step_s = 0.0

    def attach(self, trainer: Any) -> StepTimer:
        generate = trainer._generate  # TRL's one generation entry (transformers / vLLM / paged)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.parts.time("generation"):
                return generate(*args, **kwargs)

        trainer._generate = timed
        trainer.callback_handler.callbacks.insert(0, self)
        return self

    def on_step_begin(self, args, state, control, **kwargs):
        if self._step_start is None:  # the first micro-batch of an optimizer step
            self._step_start = time.perf_counter()

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        self._opt_start = time.perf_counter()

    def on_optimizer_step(self, args, state, control, **kwargs):
        self.parts.seconds["optimizer"] += time.perf_counter() - self._opt_start

    def on_step_end(self, args, state, control, **kwargs):
        if self._step_start is not None:
            self._step_s += time.perf_counter() - self._step_start
            self._step_start = None
            self._steps += 1

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is None or not self._steps or "train_runtime" in logs:
            return
        logs.update(step_logs(self.parts.drain(), self._step_s, self._steps))
        self._steps, self._step_s = 0, 0.0


def step_logs(seconds: dict[str, float], step_s: float, steps: int) -> dict[str, float]:
    """Per-step means of each part; ``other`` is what the named parts do not cover."""
    seconds = dict(seconds)
    # the reward function times itself whole ("reward") and its judge call; aggregation is the rest
    seconds["aggregation"] = max(0.0, seconds.pop("reward", 0.0) - seconds.get("judge", 0.0))
    out = {f"timing/{p}_s": seconds.get(p, 0.0) / steps for p in PARTS if p != "other"}
    out["timing/step_s"] = step_s / steps
    out["timing/other_s"] = max(0.0, out["timing/step_s"] - sum(out[f"timing/{p}_s"] for p in PARTS if p != "other"))
    return out


def summarize(rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Mean seconds per step of each part over a policy's training rows, plus shares of the step."""
    rows = [r for r in rows if r.get("phase") == "train" and "timing/step_s" in r]
    if not rows:
        return {}
    out = {k: sum(r.get(f"timing/{k}_s", 0.0) for r in rows) / len(rows) for k in (*PARTS, "step")}
    for k in PARTS:
        out[f"{k}_share"] = out[k] / out["step"] if out["step"] else 0.0
    out["judge_aggregation_share"] = out["judge_share"] + out["aggregation_share"]
    out["steps"] = float(len(rows))
    return out


def policy_timings(sweep_dir: str | Path) -> list[tuple[str, dict[str, float]]]:
    from harness.records.store import read_jsonl

    out = []
    for m in sorted(Path(sweep_dir).expanduser().glob("**/policies/*/metrics.jsonl")):
        s = summarize(read_jsonl(m))
        if s:
            out.append((m.parent.name, s))
    return out


def table(timings: list[tuple[str, dict[str, float]]]) -> str:
    head = "| policy | steps | step s | " + " | ".join(f"{p} s (%)" for p in PARTS) + " | judge+agg % |"
    lines = [head, "|" + "---|" * (len(PARTS) + 4)]
    for name, s in timings:
        cells = " | ".join(f"{s[p]:.2f} ({100 * s[f'{p}_share']:.1f})" for p in PARTS)
        lines.append(f"| {name} | {int(s['steps'])} | {s['step']:.2f} | {cells} | "
                     f"{100 * s['judge_aggregation_share']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(policy_timings(sys.argv[1] if len(sys.argv) > 1 else "runs")))
