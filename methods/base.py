"""The reward-aggregation interface.

A method sees the per-criterion scores of every GRPO group in one reward call,
padded to the widest rubric, and returns one scalar reward per rollout plus
diagnostics. The batch shape lets methods vectorize over groups (no Python loop
over rollouts); state across steps (EMA, frozen references) lives on the instance.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.rubric import Rubric

KINDS = ("hard_rule", "principle")


@dataclass(frozen=True)
class ScoreBatch:
    """The groups of one reward call.

    scores: (B, G, K) in [0, 1]; NaN = unscorable (and on padding).
    valid: (B, K) True where group b has a k-th criterion (False = padding).
    base_weights: (B, K) non-negative, sum 1 over valid criteria, 0 on padding.
    kinds: (B, K) 0 = hard_rule, 1 = principle, -1 = padding.
    keys: B prompt ids; criterion k of group b is identified by (keys[b], k).
    tags: per group, per criterion, its tags (dimensions) for logging.
    """

    scores: np.ndarray
    valid: np.ndarray
    base_weights: np.ndarray
    kinds: np.ndarray
    keys: tuple[str, ...]
    tags: tuple[tuple[tuple[str, ...], ...], ...] = ()

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.scores.shape  # type: ignore[return-value]


@dataclass
class Aggregate:
    """rewards: (B, G), NaN where the whole row is unscorable.
    weights: (B, K) per-criterion weights the method used (0 on padding).
    saturation: (B, K) or None for methods that do not estimate it (NaN on padding).
    extras: scalar diagnostics the method wants logged (flat string keys).
    rollout_weights: (B, G, K) effective per-rollout weights, for methods whose weights
        differ between rollouts of a group (max-min, veto); None means "``weights``
        renormalized over each rollout's scorable criteria" (see ``weighted_mean``).
    """

    rewards: np.ndarray
    weights: np.ndarray
    saturation: np.ndarray | None = None
    extras: dict[str, float] = field(default_factory=dict)
    rollout_weights: np.ndarray | None = None


class BaseWeights:
    """Where ``w0`` comes from. Uniform here; ``methods.prior`` supplies per-question priors."""

    def __call__(self, key: str, question: str, rubric: Rubric) -> np.ndarray:
        k = len(rubric)
        return np.full(k, 1.0 / k)

    def precompute(self, items: Sequence[tuple[str, str, Rubric]]) -> None:
        """Resolve the weights of many (key, question, rubric) before training (nothing to do here)."""

    def stats(self) -> dict[str, float]:
        return {}


class Method(ABC):
    """Turns a ScoreBatch into rewards. Subclasses: one module + one conf/method/<name>.yaml."""

    def __init__(self, base_weights: BaseWeights | None = None) -> None:
        self.base_weights = base_weights if base_weights is not None else BaseWeights()

    @abstractmethod
    def aggregate(self, batch: ScoreBatch) -> Aggregate: ...

    def __call__(self, batch: ScoreBatch) -> Aggregate:
        agg = self.aggregate(batch)
        # where w0 came from (prior fallbacks etc.) is logged with every step
        for name, value in self.base_weights.stats().items():
            agg.extras.setdefault(name, value)
        return agg

    def state_dict(self) -> dict:
        """Cross-step state (EMA, frozen references) for checkpointing; stateless methods: {}."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        if state:
            raise ValueError(f"{type(self).__name__} is stateless but got state {sorted(state)}")


def weighted_mean(scores: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NaN-aware weighted mean over criteria.

    scores (B, G, K), weights (B, K). Unscorable criteria are left out of a row and
    the remaining weights renormalized; a row with no scorable weight gets NaN.
    Returns (rewards (B, G), effective per-rollout weights (B, G, K)).
    """
    present = ~np.isnan(scores)
    w = present * weights[:, None, :]
    total = w.sum(axis=-1)
    ok = total > 0
    inv = np.divide(1.0, total, out=np.zeros_like(total), where=ok)
    eff = w * inv[..., None]
    rewards = np.einsum("bgk,bgk->bg", eff, np.where(present, scores, 0.0))
    rewards[~ok] = np.nan
    return rewards, eff


def build_batch(
    groups: Sequence[np.ndarray],
    base_weights: Sequence[np.ndarray],
    kinds: Sequence[Sequence[str]],
    keys: Sequence[str],
    tags: Sequence[Sequence[Sequence[str]]] | None = None,
) -> ScoreBatch:
    """Pad per-group (G, K_b) score matrices into one ScoreBatch."""
    if not groups:
        raise ValueError("no groups")
    sizes = {g.shape[0] for g in groups}
    if len(sizes) != 1:
        raise ValueError(f"groups of unequal size {sorted(sizes)}")
    b, g, kmax = len(groups), sizes.pop(), max(x.shape[1] for x in groups)
    scores = np.full((b, g, kmax), np.nan)
    valid = np.zeros((b, kmax), dtype=bool)
    w0 = np.zeros((b, kmax))
    kk = np.full((b, kmax), -1, dtype=np.int8)
    for i, (s, w, kd) in enumerate(zip(groups, base_weights, kinds, strict=True)):
        k = s.shape[1]
        scores[i, :, :k] = s
        valid[i, :k] = True
        w0[i, :k] = w
        kk[i, :k] = [KINDS.index(x) for x in kd]
    tag_t = tuple(tuple(tuple(t) for t in row) for row in tags) if tags is not None else ()
    return ScoreBatch(scores, valid, w0, kk, tuple(keys), tag_t)


def grow_table(table: np.ndarray, sizes: np.ndarray, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """A per-prompt state table (rows x criteria, NaN = none) and its row sizes (-1 = unused),
    grown (doubling rows) to hold ``n`` rows of ``k`` criteria; returned as is when they fit."""
    cap, width = table.shape
    if n <= cap and k <= width:
        return table, sizes
    grown = np.full((max(n, 2 * cap, 64), max(k, width)), np.nan)
    grown[:cap, :width] = table
    new_sizes = np.full(grown.shape[0], -1, dtype=np.int64)
    new_sizes[:cap] = sizes
    return grown, new_sizes
