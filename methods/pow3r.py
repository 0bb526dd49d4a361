"""pow3r: re-weight criteria toward the ones that currently separate the group's rollouts.

Our reading of "Not Every Rubric Teaches Equally: Policy-Aware Rubric Rewards for RLVR"
(POW3R, arXiv 2605.20164; no public code). What the paper says (abstract and summary):
the human weights and the balance between criterion categories stay the rubric's
objective, while criterion-level reward weights adapt during training by *rollout-level
contrast*: a criterion that every sampled rollout passes, or every one fails, gives GRPO no
group-relative signal (saturated and unreachable criteria both teach nothing), so the
weight goes to criteria whose verdicts differ across the current group. Everything else
below is our choice, each a config field so it can be ablated:

1. Contrast of criterion k in a group (``contrast``), over the rollouts that could score
   it (at least ``min_rollouts``, else "not observed", contrast 0 without history):
   ``std`` the population standard deviation of its normalized scores (default; for a
   Hard Rule ``sqrt(p (1 - p))``), ``range`` max - min, ``pairwise`` the mean absolute
   difference over pairs of rollouts (for a Hard Rule: the share of disagreeing pairs).
   Every statistic is 0 exactly when all scorable rollouts agree.
2. ``ema > 0``: the contrast is smoothed across visits of the same prompt, per
   (prompt key, k): ``C <- ema * C + (1 - ema) * c`` (the first visit sets ``C = c``; a
   visit where k was not observed leaves ``C`` unchanged; a rubric that changed size
   starts over). ``ema = 0`` uses the current group only (stateless).
3. Clip (``clip_min``, ``clip_max``) bounds the contrast value before it is used:
   ``clip_min > 0`` keeps every criterion minimally "contrastive", ``clip_max`` makes
   every criterion above it count as equally contrastive (robust to noisy small groups).
   The defaults [0, 1] change nothing (every statistic lies in [0, 1] on [0, 1] scores).
4. Categories (``category``): ``none`` (the whole rubric is one category), ``kind``
   (Hard Rules vs Principles, default) or ``tag`` (a criterion's first tag starting with
   ``category_tag``, e.g. ``rar:`` for Rubrics-as-Rewards' Essential/Important/...;
   untagged criteria share one category). The budget of a category is its share of the
   base weights, ``B_c = sum_{k in c} w0_k``, and it is kept exactly.
5. Weights: within a category the budget is split in proportion to ``w0_k * C_k``
   (human weight times contrast); a category where no criterion has contrast keeps its
   base weights. Then a mixture with the base weights at mixing rate ``mix``:
   ``w_k = (1 - mix) w0_k + mix B_c w0_k C_k / sum_{j in c} w0_j C_j``.
   So a criterion without contrast keeps exactly its floor share ``(1 - mix) w0_k``,
   equal contrast everywhere gives ``w0``, category totals equal the base ones, weights
   sum to 1, and ``mix = 0`` returns ``w0`` unchanged (bit-identical to static / prior).
6. ``R_i = sum_k w_k r_ik`` with NaN scores left out and the remaining weights
   renormalized per rollout (``weighted_mean``), as for every method.

Where this departs from (or guesses at) the paper: the exact contrast statistic, the
smoothing, the clip and the mixing form are not public, we chose the simplest forms that
have the stated properties; "category" is whatever the rubric data provides (our
criterion kinds or tags), not necessarily the paper's categories; the weights are computed
per prompt group (no batch-level normalization across prompts). Defaults were fixed
before any run (``mix = 0.95`` mirrors focal's ``floor = 0.05``; ``ema = 0.5`` because the
paper smooths across visits) and are the same in every experiment.

If the same prompt key appears twice in one batch, both groups read the state from
before the batch and the last one's update is kept (as in focal).
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

import numpy as np

from core.registry import component
from methods.base import Aggregate, BaseWeights, Method, ScoreBatch, grow_table, weighted_mean


class Contrast(StrEnum):
    """How a criterion's spread across the group's rollouts is measured."""

    std = "std"
    range = "range"
    pairwise = "pairwise"


class Category(StrEnum):
    """Which criteria share a budget that is kept at its base-weight total."""

    none = "none"
    kind = "kind"
    tag = "tag"


def group_contrast(
    scores: np.ndarray, valid: np.ndarray, statistic: str = "std", min_rollouts: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Per-criterion contrast of each group: (c (B, K) in [0, 1], 0 where not observed; observed (B, K))."""
    statistic = Contrast(statistic)
    present = ~np.isnan(scores)
    n = present.sum(axis=1)
    x = np.where(present, scores, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if statistic is Contrast.std:
            mean = x.sum(axis=1) / np.maximum(n, 1)
            dev = np.where(present, scores - mean[:, None, :], 0.0)
            c = np.sqrt((dev**2).sum(axis=1) / np.maximum(n, 1))
        elif statistic is Contrast.range:
            c = np.where(present, scores, -np.inf).max(axis=1) - np.where(present, scores, np.inf).min(axis=1)
        else:  # pairwise: mean |r_i - r_j| over ordered pairs i != j of scorable rollouts
            pair = present[:, :, None, :] & present[:, None, :, :]
            diff = np.abs(x[:, :, None, :] - x[:, None, :, :])
            c = np.where(pair, diff, 0.0).sum(axis=(1, 2)) / np.maximum(n * (n - 1), 1)
    observed = valid & (n >= max(1, min_rollouts))
    return np.where(observed, np.nan_to_num(c, nan=0.0, posinf=0.0, neginf=0.0), 0.0), observed


def category_ids(batch: ScoreBatch, category: str = "kind", tag_prefix: str = "") -> np.ndarray:
    """(B, K) category index per criterion, numbered within each group; -1 on padding."""
    category = Category(category)
    if category is Category.none:
        return np.where(batch.valid, 0, -1)
    if category is Category.kind:
        return np.where(batch.valid, batch.kinds.astype(np.int64), -1)
    out = np.where(batch.valid, 0, -1)
    for b, row in enumerate(batch.tags):
        ids = _row_categories(row, tag_prefix)
        out[b, : len(ids)] = ids
    return out


@lru_cache(maxsize=65536)
def _row_categories(row: tuple[tuple[str, ...], ...], tag_prefix: str) -> tuple[int, ...]:
    """Category index of each criterion of one rubric (cached: prompts recur across steps)."""
    names: dict[str | None, int] = {}
    return tuple(names.setdefault(next((t for t in tags if t.startswith(tag_prefix)), None), len(names))
                 for tags in row)


def pow3r_weights(
    w0: np.ndarray, contrast: np.ndarray, cat: np.ndarray, mix: float, clip_min: float = 0.0, clip_max: float = 1.0
) -> np.ndarray:
    """``(1 - mix) w0 + mix * (per category: budget B_c split in proportion to w0 * clip(contrast))``."""
    valid = cat >= 0
    w0 = np.where(valid, w0, 0.0)
    tot = w0.sum(axis=1, keepdims=True)
    w0n = np.divide(w0, tot, out=np.zeros_like(w0), where=tot > 0)
    c = np.where(valid, np.clip(contrast, clip_min, clip_max), 0.0)
    onehot = (cat[..., None] == np.arange(max(int(cat.max()) + 1, 1))).astype(np.float64)  # (B, K, C)
    budget = np.einsum("bkc,bc->bk", onehot, np.einsum("bk,bkc->bc", w0n, onehot))  # B_c of k's category
    pull = np.einsum("bkc,bc->bk", onehot, np.einsum("bk,bkc->bc", w0n * c, onehot))
    share = np.divide(budget * w0n * c, pull, out=w0n.copy(), where=pull > 0)  # no contrast: base weights
    return (1.0 - mix) * w0n + mix * share


@component("method", "pow3r")
class Pow3r(Method):
    def __init__(
        self,
        base_weights: BaseWeights | None = None,
        contrast: Contrast = Contrast.std,
        ema: float = 0.5,
        mix: float = 0.95,
        clip_min: float = 0.0,
        clip_max: float = 1.0,
        category: Category = Category.kind,
        category_tag: str = "",
        min_rollouts: int = 2,
    ) -> None:
        super().__init__(base_weights)
        try:
            self.contrast, self.category = Contrast(contrast), Category(category)
        except ValueError as e:
            raise ValueError(f"pow3r: {e}; contrast in {list(Contrast)}, category in {list(Category)}") from None
        if not 0.0 <= ema < 1.0:
            raise ValueError(f"pow3r: ema must be in [0, 1), got {ema}")
        if not 0.0 <= mix <= 1.0:
            raise ValueError(f"pow3r: mix must be in [0, 1], got {mix}")
        if not 0.0 <= clip_min <= clip_max:
            raise ValueError(f"pow3r: need 0 <= clip_min <= clip_max, got [{clip_min}, {clip_max}]")
        if min_rollouts < 1:
            raise ValueError(f"pow3r: min_rollouts must be >= 1, got {min_rollouts}")
        self.ema, self.mix, self.clip_min, self.clip_max = float(ema), float(mix), float(clip_min), float(clip_max)
        self.category_tag, self.min_rollouts = category_tag, int(min_rollouts)
        # smoothed contrast: prompt key -> row of a (prompts, K) table, NaN where never observed
        self._index: dict[str, int] = {}
        self._table = np.full((0, 0), np.nan)
        self._sizes = np.zeros(0, dtype=np.int64)

    def _tracked(self, batch: ScoreBatch, c: np.ndarray, observed: np.ndarray) -> np.ndarray:
        bsz, _, k = batch.shape
        index = self._index
        rows = np.fromiter((index.setdefault(key, len(index)) for key in batch.keys), dtype=np.int64, count=bsz)
        self._reserve(len(index), k)
        sizes = batch.valid.sum(axis=1)
        prev = self._table[rows, :k]
        prev[self._sizes[rows] != sizes] = np.nan  # new key, or a rubric that changed size: start over
        fresh = np.isnan(prev)
        new = np.where(observed, np.where(fresh, c, self.ema * prev + (1.0 - self.ema) * c), prev)
        new[~batch.valid] = np.nan
        self._table[rows, :k] = new
        self._table[rows, k:] = np.nan
        self._sizes[rows] = sizes
        return np.where(batch.valid, np.nan_to_num(new, nan=0.0), 0.0)  # never observed: no contrast yet

    def _reserve(self, n: int, k: int) -> None:
        self._table, self._sizes = grow_table(self._table, self._sizes, n, k)

    def aggregate(self, batch: ScoreBatch) -> Aggregate:
        c, observed = group_contrast(batch.scores, batch.valid, self.contrast, self.min_rollouts)
        extras = {"pow3r/zero_contrast_frac": float(((c == 0) & batch.valid).sum() / max(1, batch.valid.sum()))}
        if self.ema > 0:
            c = self._tracked(batch, c, observed)
            extras["pow3r/tracked_prompts"] = float(len(self._index))
        extras["pow3r/contrast_mean"] = float(c[batch.valid].mean()) if batch.valid.any() else 0.0
        if self.mix == 0.0:
            weights = batch.base_weights.copy()
        else:
            cat = category_ids(batch, self.category, self.category_tag)
            weights = pow3r_weights(batch.base_weights, c, cat, self.mix, self.clip_min, self.clip_max)
        rewards, _ = weighted_mean(batch.scores, weights)
        return Aggregate(rewards=rewards, weights=weights, extras=extras)

    def state_dict(self) -> dict:
        return {"contrast": {key: self._table[row, : self._sizes[row]].tolist() for key, row in self._index.items()}}

    def load_state_dict(self, state: dict) -> None:
        entries = state.get("contrast", {})
        self._index = {key: i for i, key in enumerate(entries)}
        width = max((len(v) for v in entries.values()), default=0)
        self._table = np.full((len(entries), width), np.nan)
        self._sizes = np.zeros(len(entries), dtype=np.int64)
        for i, v in enumerate(entries.values()):
            self._table[i, : len(v)] = v
            self._sizes[i] = len(v)
