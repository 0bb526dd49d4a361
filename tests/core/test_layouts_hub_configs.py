"""conf/data/{rubrichub,researchrubrics,healthbench_train}.yaml: typed, and one clear line offline."""

from __future__ import annotations

import pytest

from core.data import load_training_examples
from harness.compose import compose_sweep as compose

HUB = ["rubrichub", "researchrubrics", "healthbench_train"]


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network and an empty hub cache, as on a compute node that never downloaded the data."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))


def _data(name, *more):
    return compose([f"data={name}", *more])[0].data


@pytest.mark.parametrize("name", HUB)
def test_hub_configs_compose_typed(name):
    d = _data(name, "data.exclude_path=x.jsonl") if name == "healthbench_train" else _data(name)
    assert d.hub_id and d.name == name and d.path is None
    with pytest.raises(Exception, match="principal"):  # hydra wraps the ValidationError
        _data(name, "data.judged_kind=principal")


def test_rubrichub_says_how_unknown_rules_are_judged():
    d = _data("rubrichub", "data.abilities=[Medical,Science]")
    assert (d.format, d.unknown_rules, list(d.abilities)) == ("verl", "llm", ["Medical", "Science"])


@pytest.mark.parametrize("name", ["rubrichub", "researchrubrics"])
def test_offline_they_fail_in_one_line_saying_to_set_a_local_path(offline, name):
    with pytest.raises(RuntimeError) as e:
        load_training_examples(_data(name))
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"data '{name}': cannot load hub dataset")
    assert "offline, set data.path to a local copy" in msg


def test_healthbench_train_needs_the_eval_file_before_anything_else(offline):
    with pytest.raises(ValueError, match=r"^data 'healthbench_train': set data.exclude_path to the file the evaluation"):
        load_training_examples(_data("healthbench_train"))
    hb = "evals/benchmarks/healthbench/fixtures/healthbench.jsonl"
    d = _data("healthbench_train", "benchmark=healthbench", f"benchmark.path={hb}")
    assert d.exclude_path == hb  # the HealthBench benchmark's own file
    with pytest.raises(RuntimeError, match="offline, set data.path to a local copy of 2025-05-07"):
        load_training_examples(_data("healthbench_train", f"data.exclude_path={hb}"))
