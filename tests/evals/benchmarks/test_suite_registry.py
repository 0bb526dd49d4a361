"""The suite, the lm-eval tasks and the benchmark tests all come from the registry: one list."""

from __future__ import annotations

from omegaconf import OmegaConf

from core import registry
from evals.benchmarks.base import BENCHMARKS, Benchmark
from evals.benchmarks.suite import benchmark_classes, lm_eval_benchmarks, members
from harness.compose import CONF_DIR
from harness.compose import compose_sweep as compose


class Extra(Benchmark):
    name = "extra_bench"
    primary = "score"
    metrics = ("score",)

    def load(self):
        return []

    def score(self, items, responses, judge):
        raise NotImplementedError


def test_every_benchmark_yaml_is_a_suite_member_and_the_default_suite():
    suites = {"all"} | {p.stem for p in (CONF_DIR / "benchmark").glob("*.yaml")
                        if "all" in (OmegaConf.load(p).get("defaults") or [])}  # toy_suite: a subset of all
    yamls = sorted(p.stem for p in (CONF_DIR / "benchmark").glob("*.yaml") if p.stem not in suites)
    assert members() == yamls
    cfg, _ = compose(["benchmark=all"])
    assert list(cfg.benchmark.suite) == yamls
    for name, cls in benchmark_classes().items():
        assert cls.name == name
        assert not cls.metrics or cls.metrics[0] == cls.primary, name


def test_every_benchmark_with_official_metrics_is_an_lm_eval_task():
    tasks = sorted(p.parent.name for p in BENCHMARKS.glob("*/task.yaml"))
    assert sorted(lm_eval_benchmarks()) == tasks
    assert "toy_heldout" in members() and "toy_heldout" not in tasks  # no official metric: no task


def test_a_newly_registered_benchmark_joins_the_suite(monkeypatch):
    monkeypatch.setattr(registry, "_components", dict(registry._components))
    assert "extra_bench" not in members()
    registry._components[("benchmark", "extra_bench")] = registry.schema_from_signature(Extra, f"{__name__}.Extra")
    assert "extra_bench" in members() and lm_eval_benchmarks()["extra_bench"] is Extra
