"""The same number of prompts per optimizer step at every scale: the per-device batch comes from
the world size (``train.prompts_per_step``), computed without launching any process."""

from __future__ import annotations

import pytest

from harness.cell.train import check_batch, grpo_args, per_device_batch


@pytest.mark.parametrize(("world", "per_device"), [(1, 16), (4, 4), (8, 2), (16, 1)])
def test_per_device_batch_keeps_prompts_per_step(world, per_device):
    got = per_device_batch(prompts_per_step=8, num_generations=8, world_size=world, grad_accum=4)
    assert got == per_device
    assert got * world * 4 == 8 * 8  # completions per optimizer step, whatever the world


@pytest.mark.parametrize(("prompts", "world", "accum"), [(8, 3, 4), (2, 16, 4), (0, 1, 1)])
def test_a_batch_that_does_not_split_is_one_clear_line(prompts, world, accum):
    with pytest.raises(ValueError) as e:
        per_device_batch(prompts, 8, world, accum)
    msg = str(e.value)
    assert "\n" not in msg and "train.prompts_per_step" in msg and f"{world} processes" in msg


def test_grpo_args_derive_the_per_device_batch_from_the_world(tmp_path):
    train = {
        "prompts_per_step": 8,
        "per_device_train_batch_size": 99,
        "num_generations": 8,
        "gradient_accumulation_steps": 4,
        "max_completion_length": 4,
        "max_steps": 1,
        "bf16": False,
        "use_cpu": True,
    }
    gpu = {"use_vllm": False, "deepspeed": None, "bf16": False, "on_gpu": False}
    args = grpo_args(train, 0, tmp_path, gpu, [], world_size=1)
    assert args.per_device_train_batch_size == 16 and args.gradient_accumulation_steps == 4
    assert not hasattr(args, "prompts_per_step")


def test_paper_trains_the_same_prompts_per_step_at_every_scale(monkeypatch):
    from harness.compose import compose_sweep

    monkeypatch.setenv("FOCAL_DATA", "/data/focal")
    seen = {}
    for scale in ("qwen3_1_7b", "qwen3_4b", "qwen3_8b"):
        cfg, _ = compose_sweep(["experiment=paper", f"scale={scale}"])
        t, s = cfg.train, cfg.scale
        check_batch(t, s)
        world = s.processes_per_node * s.nodes
        per_device = per_device_batch(
            t.prompts_per_step, t.num_generations, world, t.gradient_accumulation_steps
        )
        seen[scale] = per_device * world * t.gradient_accumulation_steps // t.num_generations
    assert set(seen.values()) == {8}, seen


def test_check_batch_fails_before_any_work_on_a_world_it_does_not_fit():
    train = {"prompts_per_step": 2, "num_generations": 8, "gradient_accumulation_steps": 4}
    with pytest.raises(ValueError, match="16 processes"):
        check_batch(train, {"processes_per_node": 4, "nodes": 4})
    check_batch({**train, "prompts_per_step": None}, {"processes_per_node": 4, "nodes": 4})  # unset: no check


def test_the_sweep_stops_in_one_line_before_any_work(tmp_path):
    import os
    import subprocess
    import sys

    from core.config import REPO_ROOT

    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(tmp_path / "cache")}
    args = [
        "experiment=smoke",
        "train.prompts_per_step=1",
        "train.gradient_accumulation_steps=4",
        f"run.root={tmp_path / 'runs'}",
        "tracking=none",
    ]
    r = subprocess.run(
        [sys.executable, "-m", "harness.sweep", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "error: train.prompts_per_step=1 x num_generations=2 = 2 completions do not split over "
        "1 processes x gradient_accumulation_steps=4"
    )
    sweep = tmp_path / "runs" / "default"
    assert not (sweep / "policies").exists() and not (sweep / "cells").exists()
