"""SIGKILL a real training process from outside, the way a node failure or an OOM killer would.

The process runs in its own session; a watcher polls a condition (a checkpoint folder that
appeared, a random deadline) and kills the whole process group with SIGKILL: no handler runs,
no ``finally``, no flush. Used by the resume-equivalence and chaos tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.config import REPO_ROOT

REPO = REPO_ROOT


@dataclass
class Outcome:
    killed: bool
    returncode: int | None
    seconds: float
    log: str


def sweep_command(overrides: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "harness.sweep", *overrides]


def run_until(
    cmd: Sequence[str],
    kill_when: Callable[[float], bool] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
    poll: float = 0.02,
    log_path: Path | None = None,
) -> Outcome:
    """Run ``cmd``; SIGKILL its process group as soon as ``kill_when(elapsed_s)`` is true.

    Returns whether it was killed (False: it exited by itself first, with ``returncode``).
    """
    log_path = Path(log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"kill-{os.getpid()}.log")
    t0 = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(list(cmd), cwd=REPO, env=dict(env or os.environ), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        killed = False
        try:
            while proc.poll() is None:
                el = time.monotonic() - t0
                if el > timeout:
                    raise TimeoutError(f"{' '.join(cmd)} ran past {timeout} s")
                if kill_when is not None and kill_when(el):
                    os.killpg(proc.pid, signal.SIGKILL)
                    killed = True
                    proc.wait()
                    break
                time.sleep(poll)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            _kill_leftovers(proc.pid)  # a sweep that failed can leave its launcher's jobs running
    return Outcome(killed, None if killed else proc.returncode, time.monotonic() - t0, log_path.read_text())


def _kill_leftovers(pgid: int) -> None:
    """SIGKILL what is left of the process group (the leader has exited): nothing of one attempt
    goes on writing into the next."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def checkpoint_written(checkpoints: Path | Callable[[], Path | None], step: int) -> Callable[[float], bool]:
    """True once ``checkpoint-<step>`` is complete (its ``trainer_state.json``, written last, parses)."""

    def cond(_: float) -> bool:
        root = checkpoints() if callable(checkpoints) else checkpoints
        if root is None:
            return False
        try:
            json.loads((Path(root) / f"checkpoint-{step}" / "trainer_state.json").read_text())
        except (OSError, ValueError):
            return False
        return True

    return cond


def after_seconds(deadline: float) -> Callable[[float], bool]:
    return lambda elapsed: elapsed >= deadline
