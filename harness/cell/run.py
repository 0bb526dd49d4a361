"""One cell = (method, scale, seed) policy x one benchmark: train (once), evaluate, log.

The policy is trained at most once per (method, scale, seed, data, train, judge)
config: a file lock serializes cells that share it and a completion marker keyed
by the config hash lets later cells reuse it. A finished cell is skipped unless
``run.force=true``.

A job whose ``benchmark`` is a suite (``benchmark=all``) trains the policy once, loads
the LM once and evaluates every member, writing one cell folder per member in the
same layout (and with the same per-member hash) as a single-benchmark cell.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock
from hydra.utils import instantiate
from omegaconf import DictConfig, open_dict

from harness.cell import distributed
from harness.records.store import RunDir, cell_dirs
from harness.records.tracking import Tracker, recording

if TYPE_CHECKING:
    from harness.cell.train import TrainJob


def _tags(choices: Mapping[str, str], seed: int) -> list[str]:
    return [f"{g}:{choices[g]}" for g in ("method", "scale", "benchmark", "judge", "data") if g in choices] + [
        f"seed:{seed}"
    ]


def train_job(cfg: DictConfig) -> TrainJob:
    """The part of the root config that training reads (``harness.cell.train.TrainJob``)."""
    from harness.cell.train import TrainJob

    return TrainJob(train=cfg.train, scale=cfg.scale, data=cfg.data, seed=int(cfg.seed), cache_dir=str(cfg.cache_dir),
                    peft=cfg.get("peft"))


def ensure_policy(
    cfg: DictConfig, choices: Mapping[str, str], policy: RunDir, judge, decision: distributed.Decision | None = None
) -> dict[str, Any]:
    """Train the cell's policy unless a finished one with the same config hash exists.

    ``decision`` tells the other ranks of a multi-process job whether to train with this one.
    """
    from harness.cell.train import discard_training, train_policy

    decision = decision or distributed.Decision()
    job, tags = train_job(cfg), _tags(choices, cfg.seed)
    policy.path.mkdir(parents=True, exist_ok=True)
    with FileLock(str(policy.path / ".train.lock")):
        if policy.done():
            done = None if cfg.run.force else _finished_policy(policy)
            if done is not None:
                decision.send("skip")
                return done
            discard_training(policy)  # run.force, or its weights are gone: trained from scratch, not on from its last step
        method = instantiate(cfg.method)
        decision.send("train")
        with recording(policy, cfg, name=f"train/{policy.path.name}", job_type="train", tags=tags,
                       run_id=f"train-{policy.key}", result_file="train_result.json") as rec:
            try:
                rec.result = train_policy(job, policy, judge, method, ["wandb"] if rec.tracker.wandb_run else [])
            finally:
                distributed.teardown(wait=sys.exc_info()[0] is None)  # evaluation runs in this process alone
        return rec.result


def _finished_policy(policy: RunDir) -> dict[str, Any] | None:
    """The finished policy's ``train_result.json``, or None when its weights are gone (a sweep
    resumed from exported records, a disk clean-up): a new cell then retrains it instead of
    failing to load a model that is not there."""
    import json

    result = json.loads((policy.path / "train_result.json").read_text())
    if Path(str(result.get("model_path", ""))).exists():
        return result
    print(f"[cell] {policy.path.name}: finished, but its weights ({result.get('model_path')}) are gone: "
          "training it again", file=sys.stderr)
    return None


def train_worker(cfg: DictConfig, choices: Mapping[str, str]) -> None:
    """Ranks > 0 of a multi-process job: train together with rank 0 when it decides to, then leave."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _limit_threads(cfg.scale)
    if distributed.Decision.receive() != "train":
        return
    from harness.cell.train import train_policy

    policy = member_cells(cfg, choices)[0][2]
    try:
        train_policy(train_job(cfg), policy, instantiate(cfg.judge), instantiate(cfg.method), [])
    finally:
        distributed.teardown(wait=sys.exc_info()[0] is None)


def _limit_threads(scale: Mapping[str, Any]) -> None:
    """CPU jobs use the cores they asked for (``scale.cpus_per_task``), so parallel local jobs
    do not oversubscribe the machine; freed tensors stay in the heap (``harness.cell.glibc_heap``)."""
    if int(scale["gpus_per_node"] or 0) == 0 and scale["cpus_per_task"]:
        import torch

        from harness.cell.glibc_heap import keep_freed_memory

        torch.set_num_threads(max(1, int(scale["cpus_per_task"])))
        keep_freed_memory()


def run_cell(cfg: DictConfig, choices: Mapping[str, str]) -> dict[str, Any]:
    """Run (or skip) one cell and return its result; a suite (``benchmark=all``) runs all its members
    (see :func:`run_members`) and returns ``{"suite": [...], "cells": [one result per member]}``."""
    from evals.evaluation import is_suite

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _limit_threads(cfg.scale)
    decision = distributed.Decision()
    try:
        cells = run_members(cfg, choices, decision)
    finally:
        decision.send("skip")  # a job that did not train releases the other ranks (no-op once sent)
    if not is_suite(cfg.benchmark):
        return cells[0]
    return {"suite": [r["benchmark"] for r in cells], "cells": cells, "skipped": all(r.get("skipped") for r in cells)}


def member_cells(cfg: DictConfig, choices: Mapping[str, str]) -> list[tuple[DictConfig, dict[str, str], RunDir, RunDir]]:
    """(config, choices, policy dir, cell dir) per benchmark of the job. A suite's member gets the
    root config with ``benchmark`` replaced by the member's own config (interpolations resolve
    against the root, e.g. the toy_heldout's ``source`` is the root's ``data``), so each member cell
    is keyed and laid out like a single-benchmark cell; one benchmark is a suite of one, as composed."""
    from evals.evaluation import benchmark_configs, is_suite

    if not is_suite(cfg.benchmark):
        return [(cfg, dict(choices), *cell_dirs(cfg, choices))]
    out = []
    for name, bcfg in benchmark_configs(cfg.benchmark):
        mcfg = copy.deepcopy(cfg)
        with open_dict(mcfg):
            mcfg.benchmark = bcfg
        mch = {**choices, "benchmark": name}
        policy, cell = cell_dirs(mcfg, mch)
        out.append((mcfg, mch, policy, cell))
    return out


def run_members(
    cfg: DictConfig, choices: Mapping[str, str], decision: distributed.Decision | None = None
) -> list[dict[str, Any]]:
    """Train once, load the LM once, evaluate every benchmark of the job (:func:`member_cells`) that
    is not done yet: one cell folder and one result per member, in the suite's order."""
    from evals.evaluation import evaluate, is_suite, load_lm, preflight
    from harness.records.tracking import write_outputs

    # a single cell's wall time counts its training too, a suite member's its own evaluation alone
    started = None if is_suite(cfg.benchmark) else time.time()
    members = member_cells(cfg, choices)
    pending = [m for m in members if cfg.run.force or not m[3].done()]
    results: dict[str, dict[str, Any]] = {}
    for _, _, _, cell in members:
        if cell.path.name not in {m[3].path.name for m in pending}:
            results[cell.path.name] = {**cell.read_result(), "skipped": True}
    if pending:
        judge = instantiate(cfg.judge)
        # every member loaded and checked against the judge before training; evaluated on those items
        benches = [instantiate(mcfg.benchmark) for mcfg, *_ in pending]
        items = [preflight(bench, judge) for bench in benches]
        policy = members[0][2]
        train = ensure_policy(cfg, choices, policy, judge, decision)
        lm = load_lm(train["model_path"], backend=cfg.eval.backend, batch_size=cfg.eval.batch_size,
                     thinking=cfg.scale.thinking, think_end_token=cfg.scale.think_end_token)
        for (mcfg, mch, mpolicy, cell), bench, its in zip(pending, benches, items, strict=True):
            t0 = started or time.time()

            def run(tracker: Tracker, mcfg: DictConfig = mcfg, bench=bench, its=its) -> dict[str, Any]:
                ev = evaluate(bench, lm, judge, mcfg.eval.max_new_tokens, mcfg.eval.temperature, items=its,
                              think_end_token=cfg.scale.think_end_token)
                write_outputs(ev, tracker, int(train.get("steps", 0)))
                return ev.record()

            results[cell.path.name] = _evaluate_cell(mcfg, mch, mpolicy, cell, train, t0, run)
    return [results[m[3].path.name] for m in members]


def _evaluate_cell(cfg: DictConfig, choices: Mapping[str, str], policy: RunDir, cell: RunDir,
                   train: dict[str, Any], t0: float, evaluate_fn) -> dict[str, Any]:
    """Evaluate a trained policy on the cell's benchmark (``evaluate_fn(tracker) -> record``) and
    leave result.json: an evaluation is redone, not resumed, so what a forced re-run's or a killed
    attempt's evaluation wrote goes first and each eval row is in the mirror once."""
    with recording(cell, cfg, name=cell.path.name, job_type="eval", tags=_tags(choices, cfg.seed),
                   run_id=f"eval-{cell.key}", summary=("score",), started=t0,
                   clear="all" if cfg.run.force else "eval") as rec:
        evaluation = evaluate_fn(rec.tracker)
        rec.result = {"cell": cell.path.name, "cell_dir": str(cell.path), "key": cell.key, "choices": dict(choices),
                      "seed": int(cfg.seed), **evaluation, "train": train, "policy_dir": str(policy.path)}
    return rec.result


def summary_table(result: Mapping[str, Any]) -> str:
    """What a sweep job prints at its end: one line per member of a suite, else the cell's key facts."""
    from harness.report.tables import plain

    if "cells" in result:  # a suite: one line per member cell
        cells = result["cells"]
        t = cells[0].get("train", {}) if cells else {}
        rows = [(r["benchmark"], r["primary"], f"{r['score']:.4f}", str(Path(r["cell_dir"]) / "result.json")
                 + ("  (already complete)" if r.get("skipped") else "")) for r in cells]
        return (plain(("benchmark", "metric", "score", "cell"), rows) + "\n"
                f"train steps {t.get('steps')}, reward first -> last "
                f"{_fmt(t.get('reward_first'))} -> {_fmt(t.get('reward_last'))}; policy "
                f"{cells[0]['policy_dir'] if cells else '-'}")
    t = result.get("train", {})
    rows = [
        ("cell", result["cell"]),
        ("benchmark", f"{result['benchmark']} ({result['n_items']} items)"),
        (result["primary"], f"{result['score']:.4f}"),
        ("train steps", str(t.get("steps"))),
        ("train reward first -> last", f"{_fmt(t.get('reward_first'))} -> {_fmt(t.get('reward_last'))}"),
        ("results", str(Path(result["cell_dir"]) / "result.json")),
        ("metrics mirror", str(Path(result["cell_dir"]) / "metrics.jsonl")),
        ("policy", result["policy_dir"]),
        ("wandb (offline)" if result.get("wandb_run") else "wandb", str(result.get("wandb_run"))),
    ]
    if result.get("skipped"):
        rows.insert(0, ("status", "already complete (skipped; run.force=true re-runs)"))
    return plain(None, rows)


def _fmt(x: Any) -> str:
    return "n/a" if x is None else f"{x:.4f}"
