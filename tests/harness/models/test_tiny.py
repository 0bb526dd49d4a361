"""The tiny model: built offline, deterministic, reloadable with Auto classes, cached, warmed up."""

from __future__ import annotations

import filecmp
import hashlib
import re

import pytest

from harness.models.resolve import resolve_model
from harness.models.tiny import TinySpec, build_tiny, chat_pairs

# the default spec's warm-up takes about a minute; determinism is checked on a short one
SHORT = TinySpec(warmup_steps=10)


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_tiny_model_is_deterministic_and_reloadable(tiny_model, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    one, two = build_tiny(tmp_path / "a", SHORT), build_tiny(tmp_path / "b", SHORT)
    a, b = _digest(one), _digest(two)
    assert a["model.safetensors"] == b["model.safetensors"]  # the warm-up is deterministic too
    assert a["tokenizer.json"] == b["tokenizer.json"]
    assert chat_pairs(50, 0) == chat_pairs(50, 0)

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    assert model.config.model_type == "qwen3"
    n = sum(p.numel() for p in model.parameters())
    assert 1_000_000 <= n <= 5_000_000
    assert tok.padding_side == "left" and tok.eos_token == "<|im_end|>"
    text = "the cat likes fresh water today."
    assert tok.decode(tok(text)["input_ids"]) == text  # the locally trained BPE round-trips
    chat = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert chat == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_warmed_up_model_writes_words(tiny_model):
    """After the supervised warm-up the default model answers a toy prompt with words, then stops."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    x = tok.apply_chat_template([{"role": "user", "content": "Describe the garden briefly."}],
                                add_generation_prompt=True, return_tensors="pt", return_dict=True)
    out = model.generate(**x, max_new_tokens=40, do_sample=False)
    new = out[0][x["input_ids"].shape[1]:]
    assert int(new[-1]) == tok.eos_token_id  # it ends its answer
    words = tok.decode(new, skip_special_tokens=True).split()
    assert len(words) >= 3 and all(re.fullmatch(r"[A-Za-z,.!?'-]+", w) for w in words)


def test_tiny_is_built_once_and_reused(tiny_cache, tmp_path):
    first = build_tiny(tiny_cache)
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert build_tiny(tiny_cache) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp
    assert resolve_model("tiny", tiny_cache) == str(first)
    assert resolve_model("Qwen/Qwen3-1.7B", tmp_path) == "Qwen/Qwen3-1.7B"
    other = build_tiny(tmp_path, TinySpec(seed=1, warmup_steps=0))
    assert other.name != first.name  # a different spec is a different cache entry
    assert TinySpec(warmup_steps=1).digest() != TinySpec().digest()  # the warm-up is part of the key


def test_a_first_run_copies_the_shipped_build_instead_of_building(tmp_path, monkeypatch):
    from harness.models import tiny
    from harness.models.tiny import shipped

    assert (shipped() / "tiny_spec.json").is_file(), "the default spec's build is shipped"

    def no_build(*_):
        raise AssertionError("built the model instead of copying the shipped build")

    monkeypatch.setattr(tiny, "_build", no_build)  # a copy, not the minute-long build (the equality test builds)
    folder = build_tiny(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in shipped().iterdir())
    assert filecmp.cmpfiles(folder, shipped(), [p.name for p in shipped().iterdir()], shallow=False)[1:] == ([], [])


@pytest.mark.slow
def test_the_shipped_build_equals_a_fresh_build_byte_for_byte(tmp_path):
    """Shipping is only a cache: the committed files are what the code builds (rebuild with
    ``python -m harness.models.tiny --ship`` after changing the spec or the build)."""
    from harness.models.tiny import shipped

    fresh = build_tiny(tmp_path, use_shipped=False)
    names = sorted(p.name for p in shipped().iterdir())
    assert sorted(p.name for p in fresh.iterdir()) == names
    match, mismatch, errors = filecmp.cmpfiles(fresh, shipped(), names, shallow=False)
    assert (mismatch, errors) == ([], []), f"rebuild the shipped model: python -m harness.models.tiny --ship ({mismatch})"
