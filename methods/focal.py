"""focal: re-weight criteria toward the ones the policy has not saturated yet.

Our reading of the paper (its equations are not public); every choice below is a
config field so it can be ablated.

1. Saturation of criterion k in a group (Beta-smoothed success rate, "inverse
   reward projection"): ``s_k = (sum_i r_ik + a) / (n_k + a + b)`` where ``n_k`` is
   the number of rollouts whose k-th score is not NaN. A criterion nobody could
   score gets the prior mean ``a / (a + b)``.
   * ``ema > 0``: ``s_k`` is tracked across steps per (prompt key, k):
     ``S <- ema * S + (1 - ema) * s_k`` (the first sighting initialises ``S = s_k``;
     a step where the criterion was unscorable leaves ``S`` unchanged).
   * ``mode: reference``: ``s_k`` is measured the first time (key, k) is scored
     (i.e. under the initial policy for that prompt) and then frozen; ``ema`` is
     ignored. This is the "fixed reference from the initial policy" ablation.
2. Focal weights: ``w_hat_k = w0_k (1 - s_k)^gamma / sum_j w0_j (1 - s_j)^gamma``
   over the group's valid criteria, then the floor, as a mixture with the base
   weights: ``w_k = (1 - floor) w_hat_k + floor w0_k``. So every valid criterion
   keeps at least ``floor * w0_k`` of weight, weights still sum to 1, and the
   ordering induced by saturation is preserved. ``gamma = 0`` returns ``w0``
   unchanged (bit-identical to static / prior).
3. ``R_i = sum_k w_k r_ik`` with NaN scores left out and the remaining weights
   renormalized per rollout (``weighted_mean``); an all-NaN rollout gets NaN.

If the same prompt key appears twice in one batch, both groups read the state from
before the batch and the last one's update is kept.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from core.registry import component
from methods.base import Aggregate, BaseWeights, Method, ScoreBatch, grow_table, weighted_mean


class Mode(StrEnum):
    """Where a criterion's saturation comes from: this group (``group``, with ``ema`` across steps when
    > 0) or frozen at its first sighting (``reference``). An enum so ``method.mode=referenc`` fails at
    compose time naming the valid values."""

    group = "group"
    reference = "reference"


MODES = tuple(m.value for m in Mode)


def group_saturation(batch: ScoreBatch, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Beta-smoothed per-criterion success rate of each group: (s (B, K), observed (B, K))."""
    present = ~np.isnan(batch.scores)
    n = present.sum(axis=1)
    total = np.where(present, batch.scores, 0.0).sum(axis=1)
    denom = n + a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(denom > 0, (total + a) / denom, 0.0)
    observed = (n > 0) & batch.valid
    return np.where(batch.valid, s, np.nan), observed


def focal_weights(w0: np.ndarray, s: np.ndarray, valid: np.ndarray, gamma: float, floor: float) -> np.ndarray:
    """``(1 - floor) * normalize(w0 (1 - s)^gamma) + floor * normalize(w0)`` over valid criteria."""
    w0 = np.where(valid, w0, 0.0)
    w0_tot = w0.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        w0n = np.where(w0_tot > 0, w0 / w0_tot, 0.0)
        focus = np.where(valid, (1.0 - np.clip(np.nan_to_num(s, nan=0.0), 0.0, 1.0)) ** gamma, 0.0)
        raw = w0n * focus
        tot = raw.sum(axis=1, keepdims=True)
        # every valid criterion fully saturated (only possible with a = 0): nothing to focus on
        hat = np.where(tot > 0, raw / np.where(tot > 0, tot, 1.0), w0n)
    return (1.0 - floor) * hat + floor * w0n


@component("method", "focal")
class Focal(Method):
    def __init__(
        self,
        base_weights: BaseWeights | None = None,
        gamma: float = 2.0,
        a: float = 1.0,
        b: float = 1.0,
        ema: float = 0.0,
        mode: Mode = Mode.group,
        floor: float = 0.05,
    ) -> None:
        super().__init__(base_weights)
        if gamma < 0:
            raise ValueError(f"focal: gamma must be >= 0, got {gamma}")
        if a < 0 or b < 0:
            raise ValueError(f"focal: Beta smoothing a, b must be >= 0, got a={a} b={b}")
        if not 0.0 <= ema < 1.0:
            raise ValueError(f"focal: ema must be in [0, 1), got {ema}")
        if mode not in MODES:
            raise ValueError(f"focal: mode must be one of {MODES}, got {mode!r}")
        mode = Mode(mode)
        if not 0.0 <= floor <= 1.0:
            raise ValueError(f"focal: floor must be in [0, 1], got {floor}")
        self.gamma, self.a, self.b, self.ema, self.mode, self.floor = float(gamma), a, b, ema, mode, floor
        # tracked saturation: prompt key -> row of a (prompts, K) table, NaN where never scored
        self._index: dict[str, int] = {}
        self._table = np.full((0, 0), np.nan)
        self._sizes = np.zeros(0, dtype=np.int64)

    @property
    def stateful(self) -> bool:
        return self.mode == "reference" or self.ema > 0

    def _tracked(self, batch: ScoreBatch, s: np.ndarray, observed: np.ndarray) -> np.ndarray:
        bsz, _, k = batch.shape
        index = self._index
        rows = np.fromiter(
            (index.setdefault(key, len(index)) for key in batch.keys), dtype=np.int64, count=bsz
        )
        self._reserve(len(index), k)
        sizes = batch.valid.sum(axis=1)
        prev = self._table[rows, :k]
        prev[self._sizes[rows] != sizes] = np.nan  # new key, or a rubric that changed size: start over
        fresh = np.isnan(prev)
        if self.mode == "reference":
            new = np.where(fresh & observed, s, prev)
        else:
            new = np.where(observed, np.where(fresh, s, self.ema * prev + (1.0 - self.ema) * s), prev)
        new[~batch.valid] = np.nan
        self._table[rows, :k] = new
        self._table[rows, k:] = np.nan
        self._sizes[rows] = sizes
        # never-scored criteria fall back to this group's estimate (the prior mean a/(a+b))
        return np.where(batch.valid, np.where(np.isnan(new), s, new), np.nan)

    def _reserve(self, n: int, k: int) -> None:
        self._table, self._sizes = grow_table(self._table, self._sizes, n, k)

    def aggregate(self, batch: ScoreBatch) -> Aggregate:
        s, observed = group_saturation(batch, self.a, self.b)
        if self.stateful:
            s = self._tracked(batch, s, observed)
        if self.gamma == 0.0:
            weights = batch.base_weights.copy()
        else:
            weights = focal_weights(batch.base_weights, s, batch.valid, self.gamma, self.floor)
        rewards, _ = weighted_mean(batch.scores, weights)
        extras = {"focal/tracked_prompts": float(len(self._index))} if self.stateful else {}
        return Aggregate(rewards=rewards, weights=weights, saturation=s, extras=extras)

    def state_dict(self) -> dict:
        sizes = self._sizes
        return {"state": {key: self._table[row, : sizes[row]].tolist() for key, row in self._index.items()}}

    def load_state_dict(self, state: dict) -> None:
        entries = state.get("state", {})
        self._index = {key: i for i, key in enumerate(entries)}
        width = max((len(v) for v in entries.values()), default=0)
        self._table = np.full((len(entries), width), np.nan)
        self._sizes = np.zeros(len(entries), dtype=np.int64)
        for i, v in enumerate(entries.values()):
            self._table[i, : len(v)] = v
            self._sizes[i] = len(v)
