"""LoRA (``peft=lora``): a typed option that composes, keys and trains through TRL's ``peft_config``,
and saves a plain merged model that loads without PEFT."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from harness.compose import compose_sweep as compose
from harness.records.keys import key_fields
from harness.records.store import cell_dirs, config_hash, to_container

BASE = ["benchmark=toy_heldout"]


def _policy_key(*overrides: str) -> str:
    cfg, choices = compose([*BASE, *overrides])
    return cell_dirs(cfg, choices)[0].key


def test_lora_composes_typed_and_builds_peft_config():
    from peft import LoraConfig

    from harness.cell.train import peft_config

    cfg, _ = compose([*BASE, "peft=lora", "peft.r=4"])
    assert cfg.peft.r == 4 and cfg.peft.lora_alpha == 32 and "q_proj" in cfg.peft.target_modules
    built = peft_config(cfg.peft)
    assert isinstance(built, LoraConfig) and built.r == 4 and "down_proj" in built.target_modules
    default, _ = compose(BASE)
    assert default.peft is None and peft_config(default.peft) is None  # full fine-tuning


@pytest.mark.parametrize("bad", ["peft.r=four", "peft.rank=4", "peft.lora_dropout=x"])
def test_a_lora_typo_fails_at_compose_time(bad):
    with pytest.raises((HydraException, OmegaConfBaseException)):
        compose([*BASE, "peft=lora", bad])


def test_lora_settings_enter_the_policy_key_and_no_adapter_leaves_old_keys_alone():
    full_ft, lora, lora_r8 = _policy_key(), _policy_key("peft=lora"), _policy_key("peft=lora", "peft.r=8")
    assert len({full_ft, lora, lora_r8}) == 3
    cfg, _ = compose(BASE)
    full = to_container(cfg)
    before_option = {k: v for k, v in full.items() if k != "peft"}  # a config from before `peft` existed
    assert config_hash(key_fields(full)[0]) == config_hash(key_fields(before_option)[0])


@pytest.mark.slow
def test_lora_trains_through_the_sweep_and_saves_a_merged_model(tmp_path, tiny_cache):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from harness.models.resolve import resolve_model

    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(tiny_cache), "WANDB_MODE": "offline"}
    proc = subprocess.run(
        [sys.executable, "-m", "harness.sweep", f"run.root={tmp_path / 'runs'}", "experiment=smoke", "peft=lora",
         "train.learning_rate=1e-2", "benchmark=toy_heldout", "benchmark.limit=2", "tracking=none"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (cell,) = (tmp_path / "runs" / "default" / "cells").iterdir()
    train = json.loads((cell / "result.json").read_text())["train"]
    assert train["steps"] == 2
    params = train["parameters"]
    assert 0 < params["trained"] < params["total"] // 4  # only the adapter trains

    final = Path(train["model_path"])
    adapter = json.loads((final / "adapter" / "adapter_config.json").read_text())
    assert adapter["r"] == 16 and adapter["peft_type"] == "LORA"
    assert not (final / "adapter_config.json").exists()  # the policy itself is a plain model folder
    before = load_file(Path(resolve_model("tiny", tiny_cache)) / "model.safetensors")
    after = load_file(final / "model.safetensors")
    assert set(after) == set(before)  # merged: no lora_A / lora_B tensors left
    moved = {k for k in after if not torch.equal(before[k], after[k])}
    assert moved and all(k.rsplit(".", 2)[-2].endswith("_proj") for k in moved), sorted(moved)
    assert not any("embed" in k or "norm" in k for k in moved)  # what LoRA does not target stays as it was
    AutoModelForCausalLM.from_pretrained(final)  # loads with no PEFT in the way
