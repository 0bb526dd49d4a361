"""A copy of the tiny model whose tokenizer knows <think>/</think> and carries Qwen3's real
chat template, read from the installed TRL wheel (never copied into the repository)."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path


def qwen3_copy(tiny_model: Path, dest: Path) -> Path:
    from transformers import AutoTokenizer

    shutil.copytree(tiny_model, dest)
    tok = AutoTokenizer.from_pretrained(dest)
    tok.add_tokens(["<think>", "</think>"], special_tokens=False)
    tok.chat_template = (files("trl") / "chat_templates" / "qwen3.jinja").read_text()
    tok.save_pretrained(dest)
    return dest
