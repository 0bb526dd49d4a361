"""maxmin: reward a rollout by its worst criterion (hard min) or a weighted soft-min.

``tau = 0``: ``R_i = min_k r_ik`` over the criteria rollout i could be scored on
(NaN left out) that carry positive base weight. ``tau > 0``:
``R_i = -tau * log sum_k w_k exp(-r_ik / tau)`` with ``w`` the base weights
renormalized over the rollout's scorable criteria: tends to the hard min as
tau -> 0 and to the static weighted mean as tau -> inf. All-NaN rows get NaN.

Weights differ per rollout (they are the gradient of the soft-min, or a one-hot on
the argmin with ties split), so they are returned in ``rollout_weights``; ``weights``
is their group average.
"""

from __future__ import annotations

import numpy as np

from core.registry import component
from methods.base import Aggregate, BaseWeights, Method, ScoreBatch


@component("method", "maxmin")
class MaxMin(Method):
    def __init__(self, base_weights: BaseWeights | None = None, tau: float = 0.0) -> None:
        super().__init__(base_weights)
        if tau < 0:
            raise ValueError(f"maxmin: tau must be >= 0, got {tau}")
        self.tau = float(tau)

    def aggregate(self, batch: ScoreBatch) -> Aggregate:
        w0 = np.where(batch.valid, batch.base_weights, 0.0)[:, None, :]
        present = ~np.isnan(batch.scores) & (w0 > 0)
        any_present = present.any(axis=-1)
        x = np.where(present, batch.scores, np.inf)
        if self.tau == 0.0:
            r = x.min(axis=-1)
            eff = (present & (x == r[..., None])).astype(np.float64)
        else:
            z = np.where(present, -batch.scores / self.tau, -np.inf)
            m = np.where(any_present, z.max(axis=-1), 0.0)[..., None]
            e = np.where(present, w0 * np.exp(z - m), 0.0)
            tot_w = np.where(present, w0, 0.0).sum(axis=-1)
            tot_e = e.sum(axis=-1)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = -self.tau * (m[..., 0] + np.log(tot_e / tot_w))
            eff = e
        with np.errstate(divide="ignore", invalid="ignore"):
            tot = eff.sum(axis=-1, keepdims=True)
            eff = np.where(tot > 0, eff / np.where(tot > 0, tot, 1.0), 0.0)
            rewards = np.where(any_present, r, np.nan)
            gw = eff.sum(axis=1)
            gt = gw.sum(axis=-1, keepdims=True)
            weights = np.where(gt > 0, gw / np.where(gt > 0, gt, 1.0), batch.base_weights)
        return Aggregate(rewards=rewards, weights=weights, rollout_weights=eff)
