"""The shared evaluation layer: generate on a benchmark, judge in batch, official metric.

Used by a sweep cell (``harness.cell.run.evaluate_policy``) and by the stand-alone
entry point (``python -m harness.evaluate``), so both write the same records:
``result.json`` keys ``benchmark, primary, score, metrics, n_items`` and one
``samples.jsonl`` line per item.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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

    def record(self) -> dict[str, Any]:
        """The cell's evaluation record (the keys every result.json carries)."""
        b = self.benchmark
        flat = self.result.flat()
        return {"benchmark": b.name, "primary": b.primary, "score": self.result.metrics[b.primary],
                "metrics": flat, "n_items": len(self.items)}


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

    path = CONF_DIR / "benchmark" / f"{name}.yaml"
    if not path.is_file() or name == "all":
        known = sorted(p.stem for p in (CONF_DIR / "benchmark").glob("*.yaml") if p.stem != "all")
        raise ValueError(f"unknown benchmark {name!r}; known: {known}")
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
        return [(n, member_config(n, {"limit": bench_cfg.get("limit")})) for n in bench_cfg.suite]
    from hydra.utils import get_class

    return [(get_class(bench_cfg._target_).name, bench_cfg)]


def preflight(bench: Benchmark, judge) -> list[Example]:
    """Load and check a benchmark against the judge without a model (callers may run it before training)."""
    items = bench.load()
    bench.check(items, judge)
    return items


def evaluate(bench: Benchmark, lm, judge, max_new_tokens: int, temperature: float = 0.0,
             items: Sequence[Example] | None = None) -> Evaluation:
    """Load (unless given), check every item against the judge, generate through the lm-eval LM,
    judge all responses in one batch, score."""
    from evals.generate import generate

    items = list(items if items is not None else bench.load())
    bench.check(items, judge)  # before any generation: an unscorable item costs no model time
    t0 = time.time()
    responses = generate(lm, items, max_new_tokens, temperature, desc=f"generating {bench.name}")
    t1 = time.time()
    # The judge sees the answer only; a response cut in its reasoning is counted. Its scoring by
    # the cut rule (every criterion unmet, no judge call) is not yet applied per benchmark: here
    # it is judged as an empty answer.
    from core.reasoning import split_completion

    splits = [split_completion(r) for r in responses]
    result = bench.score(items, [s.answer for s in splits], judge)
    result.metrics["completions/cut_in_reasoning"] = sum(s.cut_in_reasoning for s in splits) / max(1, len(splits))
    return Evaluation(bench, items, responses, result, round(t1 - t0, 2), round(time.time() - t1, 2))
