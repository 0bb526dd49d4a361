"""Preemption awareness for submitit jobs.

On SIGUSR2 submitit checkpoints (re-submits the same call), requeues the job and
raises SystemExit from its signal handler. SLURM's requeue then signals every
process of the job, W&B's service included, and an exception raised inside W&B's
code while the handler runs can mask that SystemExit; the job would then report a
failure although it was requeued. ``watch()`` chains a flag onto submitit's handler
so the entry point can turn any such exception back into the exit submitit expects.
"""

from __future__ import annotations

import signal
import threading

_preempted = threading.Event()


def watch() -> None:
    """Chain a flag onto the current SIGUSR2 handler (a no-op outside submitit jobs)."""
    prev = signal.getsignal(signal.SIGUSR2)
    if not callable(prev) or getattr(prev, "_focal_chained", False):
        return

    def handler(signum, frame):
        _preempted.set()
        prev(signum, frame)

    handler._focal_chained = True  # type: ignore[attr-defined]
    signal.signal(signal.SIGUSR2, handler)


def preempted() -> bool:
    return _preempted.is_set()
