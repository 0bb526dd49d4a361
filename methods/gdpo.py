"""gdpo: normalize each criterion within its group, then sum with the base weights.

GDPO-style decoupled normalization (TRL's ``normalize_then_sum`` idea, applied per
rubric criterion): ``z_ik = (r_ik - mean_k) / std_k`` over the rollouts of the group
that could score criterion k (population std); a criterion with zero spread in the
group (all satisfied or all failed) contributes 0. Then ``R_i = sum_k w0_k z_ik`` with
NaN scores left out and the remaining weights renormalized, like static. Rewards are
centred, not in [0, 1].
"""

from __future__ import annotations

import numpy as np

from core.registry import component
from methods.base import Aggregate, BaseWeights, Method, ScoreBatch, weighted_mean


def group_zscores(scores: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """NaN-aware z-score over the group axis (axis 1); NaN stays NaN, zero std -> 0."""
    present = ~np.isnan(scores)
    n = present.sum(axis=1, keepdims=True)
    x = np.where(present, scores, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, x.sum(axis=1, keepdims=True) / np.maximum(n, 1), 0.0)
        dev = np.where(present, scores - mean, 0.0)
        std = np.sqrt((dev**2).sum(axis=1, keepdims=True) / np.maximum(n, 1))
        z = np.where(std > eps, dev / np.where(std > eps, std, 1.0), 0.0)
    return np.where(present, z, np.nan)


@component("method", "gdpo")
class GDPO(Method):
    def __init__(self, base_weights: BaseWeights | None = None, eps: float = 1e-8) -> None:
        super().__init__(base_weights)
        self.eps = eps

    def aggregate(self, batch: ScoreBatch) -> Aggregate:
        rewards, _ = weighted_mean(group_zscores(batch.scores, self.eps), batch.base_weights)
        return Aggregate(rewards=rewards, weights=batch.base_weights.copy())
