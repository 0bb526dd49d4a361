"""experiment=paper composes the paper's protocol for a cluster: an LLM judge in the pairwise mode,
hub training data, the benchmarks' real files, W&B online, SLURM; every value says where it comes from."""

from __future__ import annotations

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


def test_paper_asks_gpt_4o_for_the_prior_weights_of_the_prior_methods(monkeypatch):
    """App. E.2: static_prior_weight and focal_prior_weight take base weights from gpt-4o-2024-11-20; the
    other methods' policies are keyed as without it. (Every value's provenance: tests/harness/test_provenance.py.)"""
    from harness.records.keys import key_fields

    monkeypatch.setenv("FOCAL_DATA", "/data/focal")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    for method in ("prior", "focal_prior"):
        cfg, _ = compose(["experiment=paper", f"method={method}"])
        bw = cfg.method.base_weights
        assert bw.source == "llm" and bw.judge.model == "gpt-4o-2024-11-20"
        assert bw.judge.base_url == "http://127.0.0.1:9/v1" and bw.judge.api_key_env == "OPENAI_API_KEY"
        policy, _ = key_fields(OmegaConf.to_container(cfg, resolve=True))
        assert policy["method.base_weights.judge.prompt_version"] == "prior-v3"
        assert policy["method.base_weights.judge.model"] == "gpt-4o-2024-11-20"
        assert not any(k.startswith("prior_weights") for k in policy)
    static, _ = compose(["experiment=paper", "method=static"])
    plain, _ = compose(["experiment=paper", "method=static", "prior_weights.source=rubric",
                        "prior_weights.judge.model=other"])
    assert key_fields(OmegaConf.to_container(static, resolve=True)) == key_fields(
        OmegaConf.to_container(plain, resolve=True))
