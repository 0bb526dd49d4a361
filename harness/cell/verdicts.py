"""The training side of verdict recording: a TrainerCallback that knows the step, and the
recorder ``RubricReward`` calls after each aggregation (``harness.records.verdicts`` holds the format).

Only rank 0 writes: under ``torch.distributed`` every rank aggregates the same gathered batch.
On resume the verdicts past the checkpoint are dropped first, as the metrics mirror's rows are.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.records import verdicts
from methods.base import Aggregate, ScoreBatch, weighted_mean

try:  # keep this module importable without transformers
    from transformers import TrainerCallback
except ImportError:  # pragma: no cover
    TrainerCallback = object  # type: ignore[misc,assignment]


class VerdictLog(TrainerCallback):
    """Writes ``verdicts/step-<step>-<call>.parquet`` in ``policy`` for every reward call.

    ``scale``: TRL's ``scale_rewards`` (``group``, ``batch``, ``none``), so the recorded advantage is the
    one the trainer computed from these rewards."""

    def __init__(self, policy: Path, scale: str = "group") -> None:
        self.policy = Path(policy)
        self.scale = str(getattr(scale, "value", scale))
        self.step = 1
        self.calls = 0
        self.rank0 = int(os.environ.get("RANK", "0")) == 0

    def on_train_begin(self, args, state, control, **kwargs):
        if self.rank0:
            verdicts.trim(self.policy, state.global_step)

    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step + 1 != self.step:
            self.step, self.calls = state.global_step + 1, 0

    def __call__(self, batch: ScoreBatch, agg: Aggregate) -> None:
        if not self.rank0:
            return
        eff = agg.rollout_weights
        if eff is None:
            _, eff = weighted_mean(batch.scores, agg.weights)
        frame = verdicts.to_frame(self.step, self.calls, batch.keys, batch.scores, batch.valid, batch.kinds,
                                  batch.tags, batch.base_weights, agg.weights, eff, agg.rewards,
                                  verdicts.advantages(agg.rewards, self.scale))
        verdicts.write_step(self.policy, frame, self.step, self.calls)
        self.calls += 1
