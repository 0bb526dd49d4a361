"""experiment=paper composes the paper's protocol for a cluster: an LLM judge in the pairwise mode,
hub training data, the benchmarks' real files, W&B online, SLURM; every value says where it comes from."""

from __future__ import annotations

import re

import pytest
from omegaconf import OmegaConf

from core.config import CONF_DIR
from harness.compose import compose_sweep as compose


@pytest.fixture
def paper(monkeypatch):
    monkeypatch.setenv("FOCAL_DATA", "/data/focal")
    cfg, choices = compose(["experiment=paper"])
    return cfg, choices


def test_paper_trains_with_an_llm_judge_in_the_pairwise_mode_on_hub_data(paper):
    cfg, choices = paper
    assert cfg.judge._target_ == "evals.judges.openai_judge.OpenAIJudge" and cfg.judge.mode == "pairwise"
    assert choices["judge"] == "vllm" and cfg.judge.dialect == "vllm"
    assert cfg.data.hub_id and cfg.data.path is None and str(cfg.data.judged_kind) == "principle"
    assert cfg.scale.name.startswith("qwen3_") and cfg.tracking.mode == "online"
    assert "rules" not in OmegaConf.to_yaml(cfg.judge)


def test_paper_evaluates_the_six_benchmarks_on_their_real_files(paper):
    from evals.evaluation import benchmark_configs

    cfg, _ = paper
    members = dict(benchmark_configs(cfg.benchmark))
    assert sorted(members) == ["alpaca_eval", "arena_hard", "healthbench", "ifeval", "infobench", "writingbench"]
    for name, m in members.items():
        source = m.get("path") or m.get("hub_id")
        assert source and "fixtures" not in str(source), (name, source)
        assert str(source).startswith("/data/focal/") or "/" in str(m.get("hub_id") or ""), (name, source)


def test_paper_sweeps_methods_scales_seeds_on_slurm(monkeypatch):
    from hydra import compose as hcompose
    from hydra import initialize_config_dir

    monkeypatch.setenv("FOCAL_DATA", "/data/focal")
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        full = hcompose("config", overrides=["experiment=paper"], return_hydra_config=True)
    params = full.hydra.sweeper.params
    assert params.method == "static,prior,focal,focal_prior"
    assert params.scale == "qwen3_1_7b,qwen3_4b,qwen3_8b"
    assert full.hydra.launcher._target_.endswith("SlurmLauncher")


def test_every_value_of_the_paper_preset_says_where_it_comes_from():
    """A value line carries a comment (the paper's section, or why it was chosen), or sits under a
    header line that does (the real files' paths share one)."""
    lines = (CONF_DIR / "experiment" / "paper.yaml").read_text().splitlines()
    body = [(i, line) for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    silent = []
    for i, line in body:
        if not re.match(r"^\s*-?\s*[\w/@.]+:\s*\S", line) or "#" in line:
            continue
        indent = len(line) - len(line.lstrip())
        headers = [h for j, h in body if j < i and len(h) - len(h.lstrip()) < indent]
        commented_header = any("#" in h for h in headers[-2:])
        commented_above = i > 0 and lines[i - 1].lstrip().startswith("#")
        if not (commented_header or commented_above):
            silent.append(line.strip())
    assert silent == [], f"say where these come from: {silent}"
