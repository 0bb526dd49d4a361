"""Resume a killed GRPO run into the run it would have been.

TRL's ``GRPOTrainer`` resumes model, optimizer, scheduler and RNG states (transformers), but
three things it does not bring back, so a resumed run drifted from the uninterrupted one
(the issue's ``rewards/rubric/mean`` at step 7: 0.6525 vs 0.5725):

1. **The prompt order.** ``RepeatSampler`` shuffles with its own ``torch.Generator``, seeded
   once when the trainer is built and advanced by one permutation per epoch. A resumed
   trainer builds a fresh sampler, so the epoch it resumes in gets permutation 0 instead of
   permutation ``epoch``: other prompts, other rollouts, another run. (Transformers' RNG
   restore does not cover a sampler's private generator, and its ``skip_first_batches`` only
   skips positions inside that wrong permutation.) ``EpochRepeatSampler`` makes the
   permutation a function of (seed, epoch): ``set_epoch(e)``, which the Trainer calls
   before every epoch, re-seeds and draws ``e`` permutations, so epoch ``e`` gets exactly
   the permutation the uninterrupted sampler would have drawn.
2. **The generation buffer and its counter.** With ``steps_per_generation > 1`` or
   ``num_iterations > 1`` one generation feeds several optimizer steps; TRL restarts its
   micro-step counter ``_step`` at 0 and regenerates on resume. ``_step`` and, when the
   checkpoint falls inside a generation block, the buffered generations are saved with the
   checkpoint and restored.
3. **Harness state.** The method's cross-step state (focal's EMA and ``mode=reference``
   frozen saturation; ``Method.state_dict``), the judge's and the base weights' cumulative
   counters (logged every step) and TRL's not yet logged step metrics.

All of it is written *inside* the checkpoint, before ``trainer_state.json`` (which the
Trainer writes last and :func:`last_checkpoint` takes as the completion mark),
so a checkpoint that counts as complete always carries its harness state.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import torch
from trl import GRPOTrainer
from trl.trainer.utils import RepeatSampler

from harness.records.store import atomic_write_json

STATE_VERSION = 1


def state_file(checkpoint: Path, rank: int) -> Path:
    """This process's harness state in a checkpoint (rank 0: ``harness_state.json``)."""
    return Path(checkpoint) / ("harness_state.json" if rank == 0 else f"harness_state_{rank}.json")


def buffer_file(checkpoint: Path, rank: int) -> Path:
    return Path(checkpoint) / f"generation_buffer_{rank}.pt"


def has_state(checkpoint: Path, world_size: int = 1) -> bool:
    """Every process's harness state is in the checkpoint and parses."""
    for r in range(max(1, world_size)):
        try:
            json.loads(state_file(checkpoint, r).read_text())
        except (OSError, ValueError):
            return False
    return True


def last_checkpoint(output_dir: Path, world_size: int | None = None) -> str | None:
    """The newest *complete* checkpoint. A kill or preemption can land mid-save: the folder exists
    but ``trainer_state.json``, which the Trainer writes last, is missing or cut, or the harness
    state (``harness.cell.resume``, written just before it) is missing; such a folder is skipped
    (transformers' ``get_last_checkpoint`` would return it and the resume would crash or drift)."""
    world = int(world_size if world_size is not None else os.environ.get("WORLD_SIZE", "1"))

    def complete(p: Path) -> bool:
        try:
            json.loads((p / "trainer_state.json").read_text())
        except (OSError, ValueError):
            return False
        return has_state(p, world)

    done = [p for _, p in _checkpoints(output_dir) if complete(p)]
    return str(done[0]) if done else None


def _checkpoints(output_dir: Path) -> list[tuple[int, Path]]:
    """``checkpoint-<step>`` folders, newest first."""
    found = [(int(p.name.rsplit("-", 1)[1]), p) for p in Path(output_dir).glob("checkpoint-*")
             if p.name.rsplit("-", 1)[1].isdigit()]
    return sorted(found, reverse=True)


def drop_incomplete(output_dir: Path, keep: str | None) -> list[Path]:
    """Delete checkpoint folders newer than the one resumed from (``keep``; all when None): they are
    cut saves of the killed attempt, and left in place the Trainer's rotation
    (``save_total_limit``) would count them as the newest and delete the good new ones."""
    import shutil

    newest_kept = int(Path(keep).name.rsplit("-", 1)[1]) if keep else -1
    gone = [p for step, p in _checkpoints(output_dir) if step > newest_kept]
    for p in gone:
        shutil.rmtree(p, ignore_errors=True)
    return gone


def newest_before(output_dir: Path, step: int) -> str | None:
    """The newest checkpoint saved before ``step`` (None: none)."""
    return next((str(p) for s, p in _checkpoints(output_dir) if s < step), None)


class EpochRepeatSampler(RepeatSampler):
    """TRL's ``RepeatSampler`` whose shuffle depends on (seed, epoch) only, not on how many
    epochs this instance has iterated: the same order whether or not the run was resumed."""

    def set_epoch(self, epoch: int) -> None:
        if not self.shuffle:
            return
        self.generator.manual_seed(self.seed if self.seed is not None else 0)
        for _ in range(int(epoch)):  # the permutations an uninterrupted sampler drew before this epoch
            torch.randperm(self.num_samples, generator=self.generator)


def _counters(obj: Any) -> Counter | None:
    """The cumulative counters an object logs every step: a judge's ``counters``, the prior
    base weights' ``_counts`` (their own ``state_dict`` would be nicer; they have none)."""
    for name in ("counters", "_counts"):
        c = getattr(obj, name, None)
        if isinstance(c, Counter):
            return c
    return None


class ResumableGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` that checkpoints and restores what TRL leaves out (see the module doc).

    ``reward``: the harness's :class:`harness.cell.rewards.RubricReward` (its judge and method).
    """

    def __init__(self, *args: Any, reward: Any, **kwargs: Any) -> None:
        self.harness_reward = reward
        super().__init__(*args, **kwargs)

    def _get_train_sampler(self, dataset=None):
        base = super()._get_train_sampler(dataset)
        return EpochRepeatSampler(
            data_source=base.data_source, mini_repeat_count=base.mini_repeat_count, batch_size=base.batch_size,
            repeat_count=base.repeat_count, shuffle=base.shuffle, seed=base.seed,
        )

    # -- save: transformers calls this inside _save_checkpoint, before trainer_state.json
    def _save_rng_state(self, output_dir: str) -> None:
        super()._save_rng_state(output_dir)
        self.save_harness_state(Path(output_dir))

    def harness_state(self) -> dict[str, Any]:
        reward = self.harness_reward
        judge_c, w0_c = _counters(reward.judge), _counters(reward.method.base_weights)
        return {
            "version": STATE_VERSION,
            "global_step": int(self.state.global_step),
            "micro_step": int(self._step),
            "method": reward.method.state_dict(),
            "judge_counters": dict(judge_c) if judge_c is not None else None,
            "base_weights_counters": dict(w0_c) if w0_c is not None else None,
            "pending_metrics": {k: [float(x) for x in v] for k, v in self._metrics["train"].items()},
        }

    def _mid_generation(self) -> bool:
        return self._step % (self.args.steps_per_generation * self.num_iterations) != 0

    def save_harness_state(self, checkpoint: Path) -> None:
        rank = int(self.args.process_index)
        if self._mid_generation() and self._buffered_inputs is not None:
            target = buffer_file(checkpoint, rank)
            tmp = target.with_name(f".{target.name}.tmp")
            torch.save(self._buffered_inputs, tmp)
            os.replace(tmp, target)
        atomic_write_json(state_file(checkpoint, rank), self.harness_state())

    # -- restore: before the Trainer's loop starts (it never resets these itself)
    def load_harness_state(self, checkpoint: Path) -> None:
        rank = int(self.args.process_index)
        path = state_file(checkpoint, rank)
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise RuntimeError(f"{path}: harness state missing or unreadable ({e}); "
                               "this checkpoint cannot be resumed equivalently") from e
        if state.get("version") != STATE_VERSION:
            raise RuntimeError(f"{path}: harness state version {state.get('version')}, expected {STATE_VERSION}")
        reward = self.harness_reward
        reward.method.load_state_dict(state["method"])
        for obj, key in ((reward.judge, "judge_counters"), (reward.method.base_weights, "base_weights_counters")):
            c = _counters(obj)
            if c is not None and state.get(key) is not None:
                c.clear()
                c.update(state[key])
        self._step = int(state["micro_step"])
        self._metrics["train"].clear()
        for k, v in state["pending_metrics"].items():
            self._metrics["train"][k] = list(v)
        self._buffered_inputs = None
        if self._mid_generation():
            self._buffered_inputs = torch.load(buffer_file(checkpoint, rank), weights_only=True)

    def train(self, resume_from_checkpoint: str | bool | None = None, **kwargs: Any):
        if isinstance(resume_from_checkpoint, str):
            self.load_harness_state(Path(resume_from_checkpoint))
        return super().train(resume_from_checkpoint=resume_from_checkpoint, **kwargs)
