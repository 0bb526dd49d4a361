"""``python -m harness.evaluate``: compose, result layout like a cell, skip when done."""

from __future__ import annotations

import json

import pytest

from harness.compose import compose_evaluate as compose
from harness.evaluate import model_slug, run_evaluation


def test_compose_defaults_and_overrides():
    cfg, choices = compose(["tracking=none"])
    assert choices["benchmark"] == "all" and choices["judge"] == "rules"
    assert cfg.model == "tiny"
    cfg, choices = compose(["model=Qwen/Qwen3-1.7B", "benchmark=healthbench", "tracking=none"])
    assert cfg.benchmark._target_.endswith("HealthBench")


def test_model_slug():
    assert model_slug("tiny") == "tiny"
    assert model_slug("Qwen/Qwen3-1.7B") == "Qwen--Qwen3-1.7B"
    assert model_slug("/runs/x/policies/p1/final") == "p1--final"


@pytest.mark.slow
def test_run_evaluation_writes_cell_format_and_skips_when_done(tmp_path, tiny_model, monkeypatch):
    cfg, choices = compose([
        f"model={tiny_model}", "benchmark=infobench", "benchmark.limit=2", "tracking=none",
        f"run.root={tmp_path}", "run.sweep=t", "eval.max_new_tokens=6",
    ])
    [res] = run_evaluation(cfg, choices)
    d = tmp_path / "t" / "evals" / res["cell"]
    assert {"benchmark", "primary", "score", "metrics", "n_items"} <= set(res)
    assert json.loads((d / "result.json").read_text())["score"] == res["score"]
    assert (d / "DONE").read_text().strip() == res["key"]
    assert len((d / "samples.jsonl").read_text().splitlines()) == 2
    assert json.loads((d / "metrics.jsonl").read_text().splitlines()[0])["phase"] == "eval"
    [again] = run_evaluation(cfg, choices)
    assert again["skipped"] is True and again["score"] == res["score"]


def test_unscorable_real_data_stops_before_the_model_is_loaded_or_anything_written(tmp_path):
    """Real Arena-Hard questions have no checks: the rules judge refuses them up front, in one line."""
    from evals.benchmarks.base import BENCHMARKS, BenchmarkCheckError

    real = BENCHMARKS / "arena_hard" / "fixtures" / "real"
    cfg, choices = compose(["model=tiny", "benchmark=arena_hard", "tracking=none",
                            f"benchmark.path={real / 'question.jsonl'}", "benchmark.categories=[hard_prompt]",
                            f"benchmark.baseline_paths=[{real / 'model_answer' / 'o3-mini-2025-01-31.jsonl'}]",
                            f"run.root={tmp_path}"])
    cfg.cache_dir = str(tmp_path / "cache")  # the tiny model would be built here: it must not be
    with pytest.raises(BenchmarkCheckError, match=r"^arena_hard: 28 of 28 items cannot be scored by judge 'rules'"):
        run_evaluation(cfg, choices)
    assert not any(tmp_path.rglob("config.yaml")) and not (tmp_path / "cache").exists()
