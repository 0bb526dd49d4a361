"""The GPU path of real scales: skipped on CPU-only machines (CI here), run where CUDA exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data import resolve_path
from harness.cell.train import gpu_plan
from harness.compose import compose_sweep as compose

torch = pytest.importorskip("torch")


def test_real_scales_stay_on_cpu_without_a_gpu():
    """Runs everywhere: on a CPU-only machine the plan never asks for bf16 or DeepSpeed."""
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU; see the gpu-marked tests")
    cfg, _ = compose(["scale=qwen3_8b", "scale.use_vllm=false"])
    plan = gpu_plan(cfg.scale)
    assert plan == {"on_gpu": False, "dtype": torch.float32, "bf16": False, "use_vllm": False, "deepspeed": None}
    assert resolve_path(cfg.scale.deepspeed).is_file()  # shipped in the package: found from any directory


def test_vllm_generation_asked_for_without_vllm_fails_in_one_line(monkeypatch):
    """scale.use_vllm is honoured wherever vLLM is installed (CPU included); without it, one line that
    says how to get it, instead of a silent fall-back to HF generation."""
    import importlib.util

    from harness.cell.train import VllmMissing

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a))
    cfg, _ = compose(["scale=qwen3_8b"])
    with pytest.raises(VllmMissing, match="vllm_env create") as e:
        gpu_plan(cfg.scale)
    assert "\n" not in str(e.value)


@pytest.mark.gpu
def test_gpu_plan_uses_the_scale():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    cfg, _ = compose(["scale=qwen3_8b"])
    plan = gpu_plan(cfg.scale)
    assert plan["on_gpu"] and plan["bf16"] and plan["dtype"] == torch.bfloat16
    assert plan["deepspeed"] and Path(plan["deepspeed"]).is_file()


@pytest.mark.gpu
@pytest.mark.slow
def test_smoke_cell_trains_on_gpu(tmp_path, tiny_cache):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    import os
    import subprocess
    import sys

    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(tiny_cache), "WANDB_MODE": "offline"}
    proc = subprocess.run(
        [sys.executable, "-m", "harness.sweep", "experiment=smoke", f"run.root={tmp_path}",
         "scale.gpus_per_node=1", "scale.dtype=bfloat16", "train.use_cpu=false"],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
