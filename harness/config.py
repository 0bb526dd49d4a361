"""Typed schemas of the root config (Hydra structured configs): the harness-level nodes.

``Config`` is the root of ``conf/config.yaml`` (``python -m harness.sweep``), ``EvaluateConfig``
that of ``conf/evaluate.yaml``; ``harness.compose.register`` stores both in Hydra's ConfigStore, so
a key that is no field, or a value of the wrong type, fails at compose time. The nodes are read
by the harness alone (``train`` by the cell, ``run`` by the records, ``report`` by the report...);
the ``data`` node's schema is ``core.config.DataConf`` because core reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from omegaconf import MISSING

from core.config import DataConf


class Thinking(StrEnum):
    """A reasoning model's thinking mode (``scale.thinking``); null for models without one."""

    on = "on"
    off = "off"


@dataclass
class ScaleConf:
    """A model scale: what to load and what it needs from the cluster."""

    name: str = MISSING
    model: str = MISSING  # hub id, local path, or "tiny" (built locally by harness.models.tiny)
    dtype: str = "float32"
    gpus_per_node: int = 0
    processes_per_node: int = 1  # training processes (tasks) per node: one per GPU on multi-GPU scales
    cpus_per_task: int = 2  # per process
    mem_gb: int = 8
    timeout_min: int = 60
    nodes: int = 1
    use_vllm: bool = False
    deepspeed: str | None = None  # a DeepSpeed config for multi-GPU scales: a path, or assets:deepspeed_zero3.json (shipped)
    # Reasoning mode, passed as enable_thinking to the chat template in training (TRL) and
    # evaluation (lm-eval); null = the model has none. See docs/guides/reasoning-models.md.
    thinking: Thinking | None = None
    think_end_token: str = "</think>"  # the answer is the text after its last occurrence


class EvalBackend(StrEnum):
    """lm-eval model backends for generation (``eval.backend``)."""

    hf = "hf"
    vllm = "vllm"


class TrackingBackend(StrEnum):
    wandb = "wandb"
    none = "none"


class TrackingMode(StrEnum):
    """W&B run modes (``tracking.mode``)."""

    offline = "offline"
    online = "online"
    disabled = "disabled"


class LossType(StrEnum):
    """TRL GRPO loss aggregations (``GRPOConfig.loss_type``); an enum so a typo fails at compose."""

    grpo = "grpo"
    dr_grpo = "dr_grpo"
    dapo = "dapo"
    bnpo = "bnpo"
    cispo = "cispo"
    sapo = "sapo"


class ScaleRewards(StrEnum):
    """TRL advantage scaling (``GRPOConfig.scale_rewards``): by group std, batch std, or none (Dr. GRPO)."""

    group = "group"
    batch = "batch"
    none = "none"


class VllmMode(StrEnum):
    colocate = "colocate"
    server = "server"


@dataclass
class TrainConf:
    """GRPO settings; every field is passed to TRL's ``GRPOConfig`` under the same name, except
    ``prompts_per_step`` (the harness derives ``per_device_train_batch_size`` from it)."""

    max_steps: int = 8
    learning_rate: float = 1e-4
    # prompts per optimizer step, whatever the number of processes: set, it replaces
    # per_device_train_batch_size by prompts x num_generations / (processes x gradient_accumulation_steps)
    # (harness.cell.train.per_device_batch), so scales on 1, 2 or 4 GPUs train on the same batch
    prompts_per_step: int | None = None
    per_device_train_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    num_generations: int = 4
    max_completion_length: int = 24
    temperature: float = 1.0
    beta: float = 0.0
    logging_steps: int = 1
    save_steps: int = 4
    save_total_limit: int = 2
    bf16: bool = False
    use_cpu: bool = True
    log_completions: bool = False
    loss_type: LossType = LossType.dapo  # TRL's default
    scale_rewards: ScaleRewards = ScaleRewards.group
    epsilon: float = 0.2  # PPO clip (lower)
    epsilon_high: float | None = None  # DAPO clip-higher; None = epsilon
    num_iterations: int = 1  # PPO epochs per generation batch
    top_p: float = 1.0
    mask_truncated_completions: bool = False  # DAPO: no loss on completions cut at max_completion_length
    # vLLM generation (scale.use_vllm): TRL's colocate mode (the engine in the training process; on CPU
    # too) or server mode (`trl vllm-serve`); the memory share is of the GPU (CPU: VLLM_CPU_KVCACHE_SPACE)
    vllm_mode: VllmMode = VllmMode.colocate
    vllm_gpu_memory_utilization: float = 0.3
    vllm_max_model_length: int | None = None  # None: the model's own context


@dataclass
class LoraConf:
    """LoRA adapters (``peft=lora``): PEFT's ``LoraConfig``, given to TRL's GRPOTrainer as ``peft_config``.

    The saved policy is the base model with the trained adapter merged in (the adapter itself is
    kept beside it in ``model/adapter``), so evaluation and ``harness.evaluate`` load it like any
    model. The default target modules are the attention and MLP projections that the Llama and
    Qwen3 scales name alike.
    """

    _target_: str = "peft.LoraConfig"
    task_type: str = "CAUSAL_LM"
    r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    bias: str = "none"
    target_modules: list[str] = field(default_factory=lambda: [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])


@dataclass
class EvalConf:
    backend: EvalBackend = EvalBackend.hf  # lm-eval model backend: hf (CPU/GPU) or vllm
    max_new_tokens: int = 48
    batch_size: int = 8
    temperature: float = 0.0


@dataclass
class TrackingConf:
    backend: TrackingBackend = TrackingBackend.wandb
    mode: TrackingMode = TrackingMode.offline
    project: str = "focal-harness"
    entity: str | None = None
    group: str | None = None  # defaults to the sweep name
    tags: list[str] = field(default_factory=list)


@dataclass
class RunConf:
    """Where results land and how a cell is identified.

    ``records``: a folder that mirrors the sweep's records (``harness.records.export``): before each
    cell the finished cells and policies it holds are copied into the sweep (so a later session or
    another machine resumes instead of restarting), after each cell the sweep's records are exported
    to it. Commit it as it grows; ``python -m harness.report DIR`` rebuilds the report from it.
    """

    root: str = "runs"
    sweep: str = "default"
    force: bool = False
    records: str | None = None


@dataclass
class ReportConf:
    """What ``harness.report`` compares and summarizes (the post-sweep report and the CLI read it).

    ``pairs``: extra pairwise comparisons ``[a, b]`` (a - b), each run only when both methods are in
    the sweep. ``train_end``: end-of-training table, column -> training-log key; ``train_end_tags``:
    tag prefixes whose values each get a column (``level`` -> ``level:easy``...); ``worst``: column
    -> tag prefix whose lowest per-value average it shows. Data-specific keys belong in the
    experiment preset, not in the report's code.
    """

    target: str = "focal"
    baselines: list[str] = field(default_factory=lambda: ["static", "prior"])
    pairs: list[list[str]] = field(default_factory=lambda: [["focal", "pow3r"]])
    confidence: float = 0.95
    train_end: dict[str, str] = field(default_factory=lambda: {
        "hard rules": "satisfaction/hard_rule", "principles": "satisfaction/principle",
        "cut at length cap": "completions/clipped_ratio"})
    train_end_tags: list[str] = field(default_factory=list)
    worst: dict[str, str] = field(default_factory=dict)
    last_steps: int = 5


class WeightSource(StrEnum):
    """Where the prior methods' base weights come from (``methods.prior.PriorWeights``)."""

    rubric = "rubric"  # the dataset's own weights/points
    llm = "llm"  # an LLM asked once per prompt with the paper's E.2 prompt
    uniform = "uniform"


@dataclass
class PriorWeightsConf:
    """The base weights of the methods built on prior weights (``prior``, ``focal_prior``; their YAMLs read
    this node), set once for a sweep whatever methods it runs. ``source: llm`` asks ``judge`` (a judge
    config, e.g. ``/judge/openai`` with the paper's gpt-4o-2024-11-20) once per training prompt, before
    training, cached on disk."""

    source: WeightSource = WeightSource.rubric
    judge: Any = None


@dataclass
class JudgeJobConf:
    """The SLURM job that serves a managed vLLM judge for a SLURM sweep (``harness.models.judge_job``);
    partition and account are the launcher's. Defaults: a 30B MoE judge on one 4-GPU node."""

    gpus_per_node: int = 4
    cpus_per_task: int = 16
    mem_gb: int = 128
    timeout_min: int = 2880
    startup_timeout_min: float = 60.0  # model download and load; the sweep gives up after this
    max_model_len: int = 16384


@dataclass
class Config:
    method: Any = MISSING
    scale: ScaleConf = MISSING
    judge: Any = MISSING
    data: DataConf = MISSING
    benchmark: Any = MISSING
    tracking: TrackingConf = MISSING
    train: TrainConf = field(default_factory=TrainConf)
    peft: Any = None  # None: full fine-tuning; peft=lora: LoraConf (the ``peft`` group)
    eval: EvalConf = field(default_factory=EvalConf)
    run: RunConf = field(default_factory=RunConf)
    report: ReportConf = field(default_factory=ReportConf)
    judge_job: JudgeJobConf = field(default_factory=JudgeJobConf)  # a SLURM sweep's vLLM judge job
    prior_weights: PriorWeightsConf = field(default_factory=PriorWeightsConf)
    seed: int = 0
    cache_dir: str = "${oc.env:FOCAL_HARNESS_CACHE,${oc.env:HOME}/.cache/focal-harness}"


@dataclass
class EvaluateConfig:
    """The root of ``conf/evaluate.yaml``: any checkpoint on any benchmark, no training."""

    model: str = "tiny"  # a local checkpoint folder, a hub id, or "tiny" (built locally)
    judge: Any = MISSING
    benchmark: Any = MISSING
    tracking: TrackingConf = MISSING
    data: Any = None  # training data whose held-out split benchmark=toy_heldout scores (+data=instruct)
    eval: EvalConf = field(default_factory=EvalConf)
    run: RunConf = field(default_factory=RunConf)
    seed: int = 0
    cache_dir: str = "${oc.env:FOCAL_HARNESS_CACHE,${oc.env:HOME}/.cache/focal-harness}"
