"""Stop a run whose judge stopped scoring (``judge.max_unscorable`` over ``judge.unscorable_window``).

A judge that dies mid-training (its server down, every request unscorable after its retries)
leaves every rollout without a reward: TRL gives such rollouts no advantage and the run goes on,
learning nothing, while only a counter shows it. :class:`StarvationGuard` watches the share of
unscorable rollouts (reward None) over the last ``unscorable_window`` reward batches (one per
optimizer step at the default settings). Once the window is full and the share is above
``max_unscorable``, the reward function raises :class:`JudgeStarved` -- before that batch's
optimizer step -- and training stops with one line naming the judge. Checkpoints written from the
window's first starved step on hold updates made without a judge; ``harness.cell.train`` deletes
them, so the newest checkpoint left is one the uninterrupted run also wrote, and running the same
command again (once the judge is back) resumes from it into the uninterrupted run.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from harness.models.judge_run import JudgeUnavailable


class JudgeStarved(JudgeUnavailable):
    """Too many unscorable rollouts; ``first_bad_step`` is the first step trained without a judge."""

    def __init__(self, message: str, first_bad_step: int) -> None:
        super().__init__(message)
        self.first_bad_step = first_bad_step


def describe(judge: Any) -> str:
    """The judge in a few words: its model and server, or its name."""
    model, url = getattr(judge, "model", None), getattr(judge, "base_url", None)
    return f"{model!r} at {url}" if model and url else str(getattr(judge, "name", type(judge).__name__))


class StarvationGuard:
    def __init__(self, judge: str, max_unscorable: float, window: int) -> None:
        if not 0.0 <= max_unscorable <= 1.0 or window < 1:
            raise ValueError("judge.max_unscorable must be in [0, 1] and judge.unscorable_window >= 1")
        self.judge, self.max_unscorable, self.window = judge, float(max_unscorable), int(window)
        self._batches: deque[tuple[int, float, int]] = deque(
            maxlen=self.window
        )  # (step, unscorable, rollouts)

    @classmethod
    def for_judge(cls, judge: Any) -> StarvationGuard | None:
        """The guard a judge's config asks for (a judge made of judges: its LLM judge's); None for a
        judge without the setting (the rules judge calls no server)."""
        node = judge if hasattr(judge, "max_unscorable") else getattr(judge, "llm", None)
        if node is None or getattr(node, "max_unscorable", None) is None:
            return None
        return cls(describe(node), float(node.max_unscorable), int(getattr(node, "unscorable_window", 1)))

    def update(self, step: int, unscorable: float, rollouts: int) -> None:
        """Record one reward batch (``step``: the optimizer step it feeds); raise :class:`JudgeStarved`
        when the full window's share of unscorable rollouts is above the limit."""
        self._batches.append((int(step), float(unscorable), int(rollouts)))
        total = sum(n for _, _, n in self._batches)
        share = sum(u for _, u, _ in self._batches) / max(1, total)
        if len(self._batches) < self.window or share <= self.max_unscorable:
            return
        bad = [s for s, u, n in self._batches if u / max(1, n) > self.max_unscorable]
        first, last = self._batches[0][0], self._batches[-1][0]
        raise JudgeStarved(
            f"judge {self.judge} left {share:.0%} of the rollouts unscorable over steps {first}-{last} "
            f"(judge.max_unscorable={self.max_unscorable:g}, judge.unscorable_window={self.window}); "
            "training stopped at its last checkpoint: run the same command again once the judge answers",
            min(bad, default=last),
        )
