"""What a method's output looks like in the logs: saturation and weights per kind and tag.

Pure functions of (batch, aggregate) so the trainer never needs to know the method.
Keys are flat strings:

* ``reward/mean``, ``reward/std``, ``reward/unscorable_frac`` (rollouts whose reward is None);
* ``satisfaction/<kind>``: empirical mean score of the criteria of that kind (any method);
* ``satisfaction/strict_completion``: share of rollouts meeting every Hard Rule of their rubric
  (every criterion, Principles at >= 5/10, for a rubric without Hard Rules; rollouts with an
  unscorable required criterion left out; ``core.strict_completion``);
* ``weight/noncontrastive``: weight the method put on criteria on which every scorable rollout
  of the group agrees (no group-relative signal; POW3R's diagnostic), mean over groups;
* ``saturation/<kind>``: the method's saturation estimate (methods that have one);
* ``weight/<kind>``: mean weight of a criterion of that kind;
* the same three under ``.../tag/<tag>`` for every tag in ``batch.tags``;
* ``weight/min``, ``weight/max``, ``weight/entropy`` (mean over groups, nats) and
  ``weight/entropy_norm`` (entropy / log K_valid, 1 = uniform);
* the method's ``extras`` as they are (e.g. ``focal/tracked_prompts``, ``veto/rate``, ``prior/...``).
"""

from __future__ import annotations

import warnings

import numpy as np

from core.strict_completion import share, strict_completion
from methods.base import KINDS, Aggregate, ScoreBatch, weighted_mean


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> float:
    v = values[mask]
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else float("nan")


def summarize(batch: ScoreBatch, agg: Aggregate) -> dict[str, float]:
    out: dict[str, float] = {}
    scorable = ~np.isnan(agg.rewards)
    rewards = agg.rewards[scorable]
    out["reward/mean"] = float(rewards.mean()) if rewards.size else float("nan")
    out["reward/std"] = float(rewards.std()) if rewards.size else float("nan")
    out["reward/unscorable_frac"] = float(1.0 - scorable.mean()) if scorable.size else 0.0
    # empirical satisfaction per criterion (mean over rollouts), independent of the method
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sat = np.nanmean(batch.scores, axis=1)
    est = agg.saturation
    groups: dict[str, np.ndarray] = {kind: batch.kinds == code for code, kind in enumerate(KINDS)}
    if batch.tags:
        per_tag: dict[str, np.ndarray] = {}
        for b, row in enumerate(batch.tags):
            for k, tags in enumerate(row):
                for t in tags:
                    m = per_tag.get(t)
                    if m is None:
                        m = per_tag[t] = np.zeros(batch.valid.shape, dtype=bool)
                    m[b, k] = True
        groups.update({f"tag/{t}": m & batch.valid for t, m in sorted(per_tag.items())})
    for name, mask in groups.items():
        if not mask.any():
            continue
        out[f"satisfaction/{name}"] = _masked_mean(sat, mask)
        out[f"weight/{name}"] = float(agg.weights[mask].mean())
        if est is not None:
            out[f"saturation/{name}"] = _masked_mean(est, mask)
    if est is not None:
        out["saturation/mean"] = _masked_mean(est, batch.valid)
    hard = (batch.kinds == KINDS.index("hard_rule"))[:, None, :]
    strict = share(strict_completion(batch.scores, hard, batch.valid[:, None, :]))
    if strict is not None:
        out["satisfaction/strict_completion"] = strict
    present = ~np.isnan(batch.scores)
    hi = np.where(present, batch.scores, -np.inf).max(axis=1)
    lo = np.where(present, batch.scores, np.inf).min(axis=1)
    flat = batch.valid & ~(hi > lo)  # all scorable rollouts agree (or fewer than two scorable)
    out["weight/noncontrastive"] = float(np.where(flat, agg.weights, 0.0).sum(axis=1).mean())
    w = np.where(batch.valid, agg.weights, np.nan)
    out["weight/min"] = float(np.nanmin(w))
    out["weight/max"] = float(np.nanmax(w))
    wv = np.where(batch.valid, agg.weights, 0.0)
    p = np.where(wv > 0, wv, 1.0)
    ent = -(wv * np.log(p)).sum(axis=1)
    kv = batch.valid.sum(axis=1)
    out["weight/entropy"] = float(ent.mean())
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(kv > 1, ent / np.log(np.maximum(kv, 2)), 1.0)
    out["weight/entropy_norm"] = float(norm.mean())
    for name, value in agg.extras.items():
        out[name] = float(value)
    return out


def rollout_weights(batch: ScoreBatch, agg: Aggregate) -> list[list[float]]:
    """Effective weights per rollout, flattened (B*G rollouts, group-major like the trainer's
    completions), each trimmed to its group's valid criteria: what the reward actually used."""
    eff = agg.rollout_weights
    if eff is None:
        _, eff = weighted_mean(batch.scores, agg.weights)
    sizes = batch.valid.sum(axis=1)
    out: list[list[float]] = []
    for b in range(eff.shape[0]):
        rows = eff[b, :, : sizes[b]].tolist()
        out.extend(rows)
    return out
