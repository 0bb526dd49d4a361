"""Per-step verdicts of a training run: what the judge said and what the method made of it.

Every reward call writes one Parquet file ``verdicts/step-<step>-<call>.parquet`` in the policy
folder, one row per (prompt, rollout, criterion): the normalized, oriented score (NaN where the
judge gave none or on a cut completion's padding), the criterion's kind and tags, the base weight,
the method's weight and effective per-rollout weight, and the rollout's reward and advantage.
``python -m harness.tools.replay`` recomputes every method's advantages on these rows. Pure
pandas/numpy (the report layer may read them; nothing here imports a method).
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

FOLDER = "verdicts"
COLUMNS = ("step", "call", "prompt", "rollout", "criterion", "kind", "tags", "score", "base_weight", "weight",
           "rollout_weight", "reward", "advantage")
KIND_NAMES = ("hard_rule", "principle")
_NAME = re.compile(r"step-(\d+)-(\d+)\.parquet$")
EPS = 1e-4  # TRL's epsilon in (r - mean) / (std + eps)


def advantages(rewards: np.ndarray, scale: str = "group") -> np.ndarray:
    """GRPO advantages of (B, G) rewards as TRL computes them: centred on the group mean and divided by
    :func:`denominator`. Unscorable (NaN) rewards are left out of the statistics and stay NaN."""
    r = np.asarray(rewards, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centred = r - np.nanmean(r, axis=1, keepdims=True)
    return centred / denominator(r, scale)


def denominator(rewards: np.ndarray, scale: str = "group") -> np.ndarray:
    """(B, 1): the group's (``group``) or the batch's (``batch``) standard deviation (unbiased) + 1e-4,
    or 1 (``none``, Dr. GRPO)."""
    r = np.asarray(rewards, dtype=float)
    if scale not in ("group", "batch", "none"):
        raise ValueError(f"advantages: scale must be group, batch or none, got {scale!r}")
    if scale == "none":
        return np.ones((r.shape[0], 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        std = np.nanstd(r, axis=1, ddof=1, keepdims=True) if scale == "group" else np.full(
            (r.shape[0], 1), np.nanstd(r, ddof=1))
    return np.nan_to_num(std, nan=0.0) + EPS


def to_frame(step: int, call: int, keys: Sequence[str], scores: np.ndarray, valid: np.ndarray, kinds: np.ndarray,
             tags: Sequence[Sequence[Sequence[str]]], base_weights: np.ndarray, weights: np.ndarray,
             rollout_weights: np.ndarray, rewards: np.ndarray, advantage: np.ndarray) -> pd.DataFrame:
    """The long table of one reward call; arrays shaped as in ``methods.base.ScoreBatch`` (padding dropped)."""
    b_idx, g_idx, k_idx = np.nonzero(np.broadcast_to(valid[:, None, :], scores.shape))
    tag_of = {(b, k): ",".join(t) for b, row in enumerate(tags) for k, t in enumerate(row)}
    return pd.DataFrame({
        "step": np.full(len(b_idx), step, dtype=np.int32),
        "call": np.full(len(b_idx), call, dtype=np.int16),
        "prompt": pd.Categorical([keys[b] for b in b_idx]),
        "rollout": g_idx.astype(np.int16),
        "criterion": k_idx.astype(np.int16),
        "kind": pd.Categorical([KIND_NAMES[kinds[b, k]] for b, k in zip(b_idx, k_idx, strict=True)],
                               categories=KIND_NAMES),
        "tags": pd.Categorical([tag_of.get((b, k), "") for b, k in zip(b_idx, k_idx, strict=True)]),
        "score": scores[b_idx, g_idx, k_idx].astype(np.float32),
        "base_weight": base_weights[b_idx, k_idx].astype(np.float32),
        "weight": weights[b_idx, k_idx].astype(np.float32),
        "rollout_weight": rollout_weights[b_idx, g_idx, k_idx].astype(np.float32),
        "reward": rewards[b_idx, g_idx].astype(np.float32),
        "advantage": advantage[b_idx, g_idx].astype(np.float32),
    })


def step_files(policy: Path) -> list[tuple[int, int, Path]]:
    """(step, call, file) of a policy's verdicts, in training order."""
    folder = Path(policy) / FOLDER
    found = [(int(m[1]), int(m[2]), p) for p in folder.glob("step-*.parquet") if (m := _NAME.search(p.name))]
    return sorted(found)


def write_step(policy: Path, frame: pd.DataFrame, step: int, call: int) -> Path:
    """Write one reward call's table atomically (a temp file beside it + rename)."""
    folder = Path(policy) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"step-{step:06d}-{call:02d}.parquet"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def trim(policy: Path, last_step: int) -> list[Path]:
    """On resume: drop the verdicts of steps past the checkpoint (they are re-done and written again)."""
    gone = [p for step, _, p in step_files(policy) if step > last_step]
    for p in gone:
        p.unlink()
    return gone


def read(policy: Path) -> pd.DataFrame | None:
    """Every recorded verdict of a policy in training order, or None when it has none (records
    written before verdicts were recorded)."""
    files = step_files(policy)
    if not files:
        return None
    frames = []
    for _, _, p in files:
        try:
            frames.append(pd.read_parquet(p))
        except Exception as e:  # noqa: BLE001 - a damaged file is named, not guessed around
            raise ValueError(f"{p}: unreadable verdicts ({type(e).__name__}: {e})") from e
    df = pd.concat(frames, ignore_index=True)
    missing = [c for c in COLUMNS if c not in df]
    if missing:
        raise ValueError(f"{files[0][2].parent}: verdicts lack column(s) {', '.join(missing)}")
    for col in ("prompt", "tags"):
        df[col] = df[col].astype(str)
    return df
