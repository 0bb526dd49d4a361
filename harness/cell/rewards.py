"""The one TRL reward function: completions -> judge -> method -> one scalar each, and the verdict
log it writes.

Completions are grouped by prompt (``example_id``), scored per criterion by the
configured judge, normalized to [0, 1], and aggregated by the configured method.
It never branches on the method's or judge's name. Unscorable rows return
``None`` so TRL excludes them instead of counting a judge failure as 0.

``VerdictLog`` is the training side of verdict recording: a TrainerCallback that knows the step, and
the recorder ``RubricReward`` calls after each aggregation (``harness.records.verdicts`` holds the
format). Only rank 0 writes: under ``torch.distributed`` every rank aggregates the same gathered batch.
On resume the verdicts past the checkpoint are dropped first, as the metrics mirror's rows are.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.reasoning import THINK_END, split_completion
from core.rubric import Example, Rubric
from core.scores import oriented  # noqa: F401 (re-exported)
from evals.judges.base import Judge, JudgeRequest, normalize
from harness.cell.starvation import StarvationGuard
from harness.cell.timing import Parts
from harness.records import verdicts
from methods.base import Aggregate, Method, ScoreBatch, build_batch, weighted_mean
from methods.diagnostics import rollout_weights, summarize

try:  # keep this module importable without transformers
    from transformers import TrainerCallback
except ImportError:  # pragma: no cover
    TrainerCallback = object  # type: ignore[misc,assignment]

STEP_WORK = ("requests", "prompt_tokens", "completion_tokens")  # logged per reward batch as judge/step_*


def gather_rows(local: list[Any]) -> tuple[list[Any], int]:
    """Every process's rows in rank order, and where this process's rows start.

    The identity outside ``torch.distributed`` (or with one process).
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return local, 0
    parts: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, local)
    start = sum(len(p) for p in parts[: dist.get_rank()])
    return [row for part in parts for row in part], start


class RubricReward:
    __name__ = "rubric"  # TRL names the reward column after this

    guard: StarvationGuard | None = None  # stops the run when the judge stops scoring (harness.cell.starvation)
    step = 0  # the optimizer step the rollouts being scored feed (from TRL's trainer_state)

    def __init__(self, judge: Judge, method: Method, timer: Parts | None = None,
                 examples: Sequence[Example] = (), think_end_token: str = THINK_END,
                 recorder: Callable[[ScoreBatch, Aggregate], None] | None = None) -> None:
        self.judge = judge
        self.method = method
        self.think_end_token = think_end_token  # scale.think_end_token: where a completion's answer starts
        self.recorder = recorder  # sees every (batch, aggregate): the per-step verdicts (VerdictLog, below)
        self.timer = timer or Parts()  # judge and whole-reward seconds (harness.cell.timing)
        # the training examples by id: the dataset TRL iterates carries ids, not rubrics (training_dataset)
        self._rubrics: dict[str, Rubric] = {e.id: e.rubric for e in examples}
        self._questions: dict[str, str] = {e.id: e.question for e in examples}
        self.last_metrics: dict[str, float] = {}

    def _rubric(self, key: str, text: str | None) -> Rubric:
        if key not in self._rubrics:
            if text is None:
                raise KeyError(f"reward: no rubric for prompt {key!r} (give RubricReward the training examples)")
            self._rubrics[key] = Rubric.from_json(text)
        return self._rubrics[key]

    def score(
        self,
        example_id: list[str],
        question: list[str],
        rubric: Sequence[str | None],
        texts: list[str],
        cut: list[bool] | None = None,
    ) -> tuple[list[float | None], dict[str, float], list[str]]:
        """Pure of TRL: returns (rewards, metrics, per-rollout weights as JSON) for these rollouts.

        Under ``torch.distributed`` each process judges its own rollouts, then the
        normalized scores of every process are gathered and the method runs on the
        whole global batch, identically everywhere: a GRPO group split across
        processes stays one group, and focal's saturation state sees every rollout
        and stays the same on every rank.
        """
        rubrics = [self._rubric(k, r) for k, r in zip(example_id, rubric, strict=True)]
        cut = cut or [False] * len(texts)
        judged = [i for i, c in enumerate(cut) if not c]  # a cut completion is never judged
        before = Counter(self.judge.counters)
        with self.timer.time("judge"):
            judgments = self.judge.judge([JudgeRequest(question[i], rubrics[i], texts[i]) for i in judged])
        oriented_rows = [np.zeros(len(rb.criteria)) for rb in rubrics]  # the cut rule: all unmet
        unscorable = [0] * len(texts)
        for i, j in zip(judged, judgments, strict=True):
            oriented_rows[i] = oriented(normalize(j.scores, rubrics[i].kinds), rubrics[i])
            unscorable[i] = j.unscorable
        rows = [
            (k, q, r, o, u, len(rb.criteria))
            for k, q, r, o, u, rb in zip(example_id, question, rubric, oriented_rows, unscorable, rubrics, strict=True)
        ]
        rows, start = gather_rows(rows)
        ids = [r[0] for r in rows]
        order: dict[str, list[int]] = {}
        for i, key in enumerate(ids):
            order.setdefault(key, []).append(i)
        keys = list(order)
        first = [order[k][0] for k in keys]
        rbs = [self._rubric(rows[i][0], rows[i][2]) for i in first]
        groups = [np.stack([rows[i][3] for i in order[k]]) for k in keys]
        w0 = [self.method.base_weights(k, rows[i][1], rb) for k, i, rb in zip(keys, first, rbs, strict=True)]
        batch = build_batch(groups, w0, [rb.kinds for rb in rbs], keys, [[c.tags for c in rb.criteria] for rb in rbs])
        agg = self.method(batch)
        if self.recorder is not None:
            self.recorder(batch, agg)
        rewards: list[float | None] = [None] * len(rows)
        weights_json = [""] * len(rows)
        per_rollout = rollout_weights(batch, agg)  # group-major, trimmed to each rubric
        G = batch.shape[1]
        for b, k in enumerate(keys):
            for g, i in enumerate(order[k]):
                r = float(agg.rewards[b, g])
                rewards[i] = None if math.isnan(r) else r
                weights_json[i] = json.dumps([round(float(x), 4) for x in per_rollout[b * G + g]])
        metrics = summarize(batch, agg)
        metrics["judge/unscorable_fraction"] = sum(r[4] for r in rows) / max(1, sum(r[5] for r in rows))
        metrics["reward/unscorable_rollouts"] = float(sum(r is None for r in rewards))
        metrics["completions/cut_in_reasoning"] = sum(cut) / max(1, len(cut))
        metrics.update(self.judge.stats())
        for k in STEP_WORK:  # this batch's judge work, beside the cumulative counters and timing/judge_s
            metrics[f"judge/step_{k}"] = float(self.judge.counters.get(k, 0) - before.get(k, 0))
        if self.guard is not None:
            self.guard.update(self.step, metrics["reward/unscorable_rollouts"], len(rows))
        self.last_metrics = metrics
        mine = slice(start, start + len(texts))
        return rewards[mine], metrics, weights_json[mine]

    def __call__(
        self,
        prompts: list[Any],
        completions: list[Any],
        example_id: list[str],
        question: list[str] | None = None,
        rubric: list[str] | None = None,
        log_metric: Callable[[str, float], None] | None = None,
        log_extra: Callable[[str, list[Any]], None] | None = None,
        **_: Any,
    ) -> list[float | None]:
        self.step = int(getattr(_.get("trainer_state"), "global_step", self.step)) + 1
        if question is None:  # the default dataset: ids only, looked up
            question = [self._questions[k] for k in example_id]
        rubric = rubric if rubric is not None else [None] * len(example_id)
        # the judge sees the answer only: the text after the scale's think_end_token
        splits = [split_completion(c, self.think_end_token) for c in completions]
        texts, cut = [s.answer for s in splits], [s.cut_in_reasoning for s in splits]
        with self.timer.time("reward"):  # judge + aggregation (normalize, group, method, diagnostics)
            rewards, metrics, weights_json = self.score(example_id, question, rubric, texts, cut)
        if log_metric is not None:
            for name, value in metrics.items():
                if not math.isnan(value):
                    log_metric(name, value)
        if log_extra is not None:
            log_extra("criterion_weights", weights_json)
        return rewards


class VerdictLog(TrainerCallback):
    """Writes ``verdicts/step-<step>-<call>.parquet`` in ``policy`` for every reward call.

    ``scale``: TRL's ``scale_rewards`` (``group``, ``batch``, ``none``), so the recorded advantage is the
    one the trainer computed from these rewards."""

    def __init__(self, policy: Path, scale: str = "group") -> None:
        self.policy = Path(policy)
        self.scale = str(getattr(scale, "value", scale))
        self.step = 1
        self.calls = 0
        self.rank0 = int(os.environ.get("RANK", "0")) == 0

    def on_train_begin(self, args, state, control, **kwargs):
        if self.rank0:
            verdicts.trim(self.policy, state.global_step)

    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step + 1 != self.step:
            self.step, self.calls = state.global_step + 1, 0

    def __call__(self, batch: ScoreBatch, agg: Aggregate) -> None:
        if not self.rank0:
            return
        eff = agg.rollout_weights
        if eff is None:
            _, eff = weighted_mean(batch.scores, agg.weights)
        frame = verdicts.to_frame(self.step, self.calls, batch.keys, batch.scores, batch.valid, batch.kinds,
                                  batch.tags, batch.base_weights, agg.weights, eff, agg.rewards,
                                  verdicts.advantages(agg.rewards, self.scale))
        verdicts.write_step(self.policy, frame, self.step, self.calls)
        self.calls += 1
