"""A real instruction-tuned model through the whole harness: 2 GRPO steps of SmolLM2-135M-Instruct
(scale=smollm2_135m, data=instruct) through ``python -m harness.sweep``, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_two_grpo_steps_of_smollm2_through_the_sweep(tmp_path, tiny_cache):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.models.resolve import resolve_model

    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(tiny_cache), "WANDB_MODE": "offline"}
    proc = subprocess.run(
        [sys.executable, "-m", "harness.sweep", f"run.root={tmp_path / 'runs'}", "experiment=smoke",
         "scale=smollm2_135m", "data=instruct", "benchmark=toy_heldout", "benchmark.limit=2",
         "train.max_steps=2", "train.save_steps=2", "train.learning_rate=1e-4", "tracking=none"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=1500,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (cell,) = (tmp_path / "runs" / "default" / "cells").iterdir()
    result = json.loads((cell / "result.json").read_text())
    assert result["benchmark"] == "toy_heldout" and result["n_items"] == 2
    assert 0.0 <= result["score"] <= 1.0
    train = result["train"]
    assert train["steps"] == 2 and train["reward_first"] is not None
    assert train["timing"]["steps"] == 2 and 0 < train["timing"]["judge_aggregation_share"] < 1

    # the policy was trained from the converted packaged model, and its weights moved
    base = Path(resolve_model("packaged:smollm2_135m", tiny_cache))
    assert train["base_model"] == str(base)
    before, after = load_file(base / "model.safetensors"), load_file(Path(train["model_path"]) / "model.safetensors")
    assert set(after) <= set(before)
    changed = [k for k in after if not torch.equal(before[k], after[k])]
    assert len(changed) > len(after) // 2

    # every logged step says where its time went
    policy = Path(train["model_path"]).parent
    rows = [json.loads(x) for x in (policy / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if r.get("phase") == "train"]
    assert len(steps) == 2
    for r in steps:
        assert r["timing/step_s"] > r["timing/generation_s"] > 0 and r["timing/judge_s"] > 0
        parts = sum(r[f"timing/{p}_s"] for p in ("generation", "judge", "aggregation", "optimizer", "other"))
        assert parts == pytest.approx(r["timing/step_s"], rel=1e-6)

    # the trained policy still answers in text
    tok = AutoTokenizer.from_pretrained(train["model_path"])
    model = AutoModelForCausalLM.from_pretrained(train["model_path"])
    x = tok.apply_chat_template([{"role": "user", "content": "Give me one tip about sleep."}],
                                add_generation_prompt=True, return_tensors="pt", return_dict=True)
    torch.manual_seed(0)
    out = model.generate(**x, max_new_tokens=24, do_sample=True, temperature=1.0)
    text = tok.decode(out[0][x["input_ids"].shape[1]:], skip_special_tokens=True)
    assert sum(c.isalpha() for c in text) >= 5, text
