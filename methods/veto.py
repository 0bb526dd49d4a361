"""veto: any failed Hard Rule sets the rollout's reward to ``floor_reward``; else static.

A hard rule counts as failed when its score is below ``threshold`` (hard rules are
scored 0/1, so this means "scored 0"); an unscorable (NaN) hard rule never vetoes.
Scores are oriented so that 1 = good, pitfalls included (see ``methods.prior``).
A vetoed rollout's effective weights are all 0 in ``rollout_weights``.
"""

from __future__ import annotations

import numpy as np

from core.registry import component
from methods.base import KINDS, Aggregate, BaseWeights, Method, ScoreBatch, weighted_mean

HARD = KINDS.index("hard_rule")


@component("method", "veto")
class Veto(Method):
    def __init__(
        self, base_weights: BaseWeights | None = None, floor_reward: float = 0.0, threshold: float = 0.5
    ) -> None:
        super().__init__(base_weights)
        self.floor_reward, self.threshold = float(floor_reward), float(threshold)

    def aggregate(self, batch: ScoreBatch) -> Aggregate:
        rewards, eff = weighted_mean(batch.scores, batch.base_weights)
        hard = (batch.kinds == HARD)[:, None, :]
        with np.errstate(invalid="ignore"):
            vetoed = (hard & (batch.scores < self.threshold)).any(axis=-1)
        rewards = np.where(vetoed, self.floor_reward, rewards)
        scorable = ~np.isnan(rewards)
        rate = float(vetoed.sum() / scorable.sum()) if scorable.any() else 0.0
        return Aggregate(
            rewards=rewards,
            weights=batch.base_weights.copy(),
            rollout_weights=np.where(vetoed[..., None], 0.0, eff),
            extras={"veto/rate": rate},
        )
