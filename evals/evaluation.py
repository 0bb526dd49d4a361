"""The shared evaluation layer: generate on a benchmark, judge in batch, official metric.

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


def evaluate(bench: Benchmark, lm, judge, max_new_tokens: int, temperature: float = 0.0,
             items: Sequence[Example] | None = None, think_end_token: str = "</think>") -> Evaluation:
    """Load (unless given), check every item against the judge, generate through the lm-eval LM,
    judge all responses in one batch (the text after ``think_end_token``, the scale's), score."""
    from evals.generate import generate

    items = list(items if items is not None else bench.load())
    bench.check(items, judge)  # before any generation: an unscorable item costs no model time
    t0 = time.time()
    responses = generate(lm, items, max_new_tokens, temperature, desc=f"generating {bench.name}")
    t1 = time.time()
    # The judge sees the answer only. A response cut in its reasoning has the answer ``CUT``: the
    # benchmark's judge helpers score it by the training's cut rule (every criterion unmet, no judge call).
    from core.reasoning import split_completion

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
