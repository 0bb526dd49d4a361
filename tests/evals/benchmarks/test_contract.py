"""Every conf/benchmark/*.yaml: compose -> load -> generate (tiny model) -> judge (rules) -> metric."""

from __future__ import annotations

import json
import math

import pytest
from hydra.utils import instantiate

from core.config import CONF_DIR
from evals.benchmarks.suite import members
from evals.evaluation import benchmark_configs, evaluate, member_config

CONF = CONF_DIR / "benchmark"

NAMES = members()  # every registered benchmark (suites such as all and toy_suite name members, they are none)


def test_the_suite_names_every_benchmark():
    from harness.compose import compose_evaluate as compose

    cfg, _ = compose(["benchmark=all", "tracking=none", "benchmark.limit=2"])
    members = benchmark_configs(cfg.benchmark)
    assert sorted(n for n, _ in members) == NAMES
    assert len(NAMES) == 7  # the six benchmarks + toy_heldout (the held-out split of the training data)
    assert all(c.limit == 2 for _, c in members)


@pytest.mark.parametrize("name", NAMES)
def test_every_benchmark_yaml_composes_and_instantiates(name):
    from harness.compose import compose_evaluate as compose

    cfg, choices = compose([f"benchmark={name}", "tracking=none"])
    assert choices["benchmark"] == name
    bench = instantiate(cfg.benchmark)
    assert bench.name == name
    assert dict(member_config(name)) == dict(cfg.benchmark)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_contract_load_generate_judge_metric(name, tiny_lm, rules_judge):
    bench = instantiate(member_config(name, {"limit": 3}))
    ev = evaluate(bench, tiny_lm, rules_judge, max_new_tokens=8)
    rec = ev.record()
    assert set(rec) == {"benchmark", "primary", "score", "metrics", "n_items", "judge"}
    assert rec["judge"]["judge/requests"] >= 0 and not any(k.startswith("judge/") for k in rec["metrics"])
    assert rec["benchmark"] == name and rec["n_items"] == 3
    assert isinstance(rec["score"], float) and not math.isnan(rec["score"])
    assert rec["metrics"][rec["primary"]] == rec["score"]
    assert "polarization/severe_deficiency_rate" in rec["metrics"]
    assert len(ev.responses) == 3 and all(isinstance(r, str) for r in ev.responses)
    assert len(ev.result.samples) == 3
    json.dumps(rec)
