"""static: fixed base weights (uniform unless a prior supplies them), R_i = sum_k w0_k r_ik.

Unscorable criteria are left out of a rollout's sum and the remaining weights
renormalized, so a judge failure never counts as a zero.
"""

from __future__ import annotations

from core.registry import component
from methods.base import Aggregate, Method, ScoreBatch, weighted_mean


@component("method", "static")
class Static(Method):
    def aggregate(self, batch: ScoreBatch) -> Aggregate:
        rewards, _ = weighted_mean(batch.scores, batch.base_weights)
        return Aggregate(rewards=rewards, weights=batch.base_weights.copy())
