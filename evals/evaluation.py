"""The shared evaluation layer: generate on a benchmark, judge in batch, official metric.

Generation goes through lm-eval's model backends (``hf`` here, ``vllm`` on GPUs): ``load_lm``
builds the LM once per job, ``generate`` renders and runs one prompt per item.

Used by a sweep cell (``harness.cell.run.run_members``) and by the stand-alone
entry point (``python -m harness.evaluate``), so both write the same records:
``result.json`` keys ``benchmark, primary, score, metrics, n_items`` and one
``samples.jsonl`` line per item.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, OmegaConf

from core.config import CONF_DIR
from core.reasoning import THINK_END, split_completion, template_kwargs
from core.rubric import Example
from evals.benchmarks.base import Benchmark, BenchResult


@dataclass
class Evaluation:
    benchmark: Benchmark
    items: list[Example]
    responses: list[str]
    result: BenchResult
    gen_time_s: float
    judge_time_s: float
    judge_counts: dict[str, float] = field(default_factory=dict)  # this evaluation's judge/requests, cache hits...

    def record(self) -> dict[str, Any]:
        """The cell's evaluation record (the keys every result.json carries)."""
        b = self.benchmark
        flat = self.result.flat()
        return {"benchmark": b.name, "primary": b.primary, "score": self.result.metrics[b.primary],
                "metrics": flat, "n_items": len(self.items), "judge": dict(self.judge_counts)}


def is_suite(bench_cfg: Mapping[str, Any]) -> bool:
    return "suite" in bench_cfg and "_target_" not in bench_cfg


def import_benchmarks() -> None:
    """Import every benchmark module so its schema is in the registry."""
    import importlib
    import pkgutil

    import evals.benchmarks as pkg

    for mod in pkgutil.walk_packages(pkg.__path__, prefix="evals.benchmarks."):
        importlib.import_module(mod.name)


def member_config(name: str, overrides: Mapping[str, Any] | None = None) -> DictConfig:
    """A benchmark's config from ``conf/benchmark/<name>.yaml``, typed by its schema, plus overrides."""
    from core.registry import schema_of
    from evals.benchmarks.suite import members

    path = CONF_DIR / "benchmark" / f"{name}.yaml"
    if not path.is_file() or name not in members():
        raise ValueError(f"unknown benchmark {name!r}; known: {members()}")
    import_benchmarks()
    raw = OmegaConf.load(path)
    raw.pop("defaults", None)
    schema = schema_of("benchmark", name)
    cfg = OmegaConf.merge(OmegaConf.structured(schema), raw) if schema else raw
    for k, v in (overrides or {}).items():
        if v is not None:
            cfg[k] = v
    return cfg  # type: ignore[return-value]


def benchmark_configs(bench_cfg: DictConfig) -> list[tuple[str, DictConfig]]:
    """[(name, config)]: the members of a suite, or the one benchmark."""
    if is_suite(bench_cfg):
        settings = bench_cfg.get("members") or {}
        unknown = sorted(set(settings) - set(bench_cfg.suite))
        if unknown:
            raise ValueError(f"benchmark.members names {unknown}, which are not in benchmark.suite {list(bench_cfg.suite)}")
        return [(n, member_config(n, {"limit": bench_cfg.get("limit"), **settings.get(n, {})})) for n in bench_cfg.suite]
    from hydra.utils import get_class

    return [(get_class(bench_cfg._target_).name, bench_cfg)]


def preflight(bench: Benchmark, judge) -> list[Example]:
    """Load and check a benchmark against the judge without a model (callers may run it before training)."""
    items = bench.load()
    bench.check(items, judge)
    return items


def load_lm(model_path: str, backend: str = "hf", batch_size: int = 8, device: str = "cpu",
            thinking: str | None = None, think_end_token: str = THINK_END, **kwargs):
    """An lm-eval LM. ``hf`` needs ``device='cpu'`` on CPU machines (it defaults to CUDA).
    ``thinking`` (``scale.thinking``) renders prompts as training does; with thinking on,
    lm-eval returns the text after the last ``think_end_token`` (or the whole generation)."""
    from lm_eval.api.registry import get_model

    args = {"pretrained": model_path, "batch_size": batch_size, **template_kwargs(thinking), **kwargs}
    if thinking is not None and str(thinking) == "on":
        args["think_end_token"] = think_end_token
    if backend == "hf":
        args["device"] = device
    return get_model(backend)(**args)


def generate(lm, items: Sequence[Example], max_new_tokens: int, temperature: float = 0.0,
             desc: str | None = None) -> list[str]:
    """Chat-templated greedy (or sampled) generation, one response per item, in order.

    lm-eval's own progress bar shows generation progress; ``desc`` is printed above it.
    """
    from lm_eval.api.instance import Instance

    if desc:
        print(f"[{desc}] {len(items)} prompts, max_new_tokens={max_new_tokens}", flush=True)
    gen_kwargs = {"until": [], "max_gen_toks": max_new_tokens, "do_sample": temperature > 0}
    if temperature > 0:
        gen_kwargs["temperature"] = temperature
    requests = [
        Instance(
            request_type="generate_until",
            doc={"id": e.id},
            arguments=(lm.apply_chat_template(e.messages, add_generation_prompt=True), dict(gen_kwargs)),
            idx=0,
        )
        for e in items
    ]
    return [str(r) for r in lm.generate_until(requests, disable_tqdm=False)]


def evaluate(bench: Benchmark, lm, judge, max_new_tokens: int, temperature: float = 0.0,
             items: Sequence[Example] | None = None, think_end_token: str = "</think>") -> Evaluation:
    """Load (unless given), check every item against the judge, generate through the lm-eval LM,
    judge all responses in one batch (the text after ``think_end_token``, the scale's), score."""
    items = list(items if items is not None else bench.load())
    bench.check(items, judge)  # before any generation: an unscorable item costs no model time
    t0 = time.time()
    responses = generate(lm, items, max_new_tokens, temperature, desc=f"generating {bench.name}")
    t1 = time.time()
    # The judge sees the answer only. A response cut in its reasoning has the answer ``CUT``: the
    # benchmark's judge helpers score it by the training's cut rule (every criterion unmet, no judge call).
    splits = [split_completion(r, think_end_token) for r in responses]
    before = judge_counts(judge)
    result = bench.score(items, [s.answer for s in splits], judge)
    result.metrics["completions/cut_in_reasoning"] = sum(s.cut_in_reasoning for s in splits) / max(1, len(splits))
    counts = {k: v - before.get(k, 0.0) for k, v in judge_counts(judge).items()}
    return Evaluation(bench, items, responses, result, round(t1 - t0, 2), round(time.time() - t1, 2), counts)


def judge_counts(judge) -> dict[str, float]:
    """The judge's request counters (``judge/requests``, ``judge/cache_hits``, ``judge/invalid_replies``...),
    so each evaluation records what it cost and whether it was answered from the cache."""
    counters = getattr(judge, "counters", None) or {}
    return {f"judge/{k}": float(v) for k, v in counters.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and not k.endswith("_s")}
