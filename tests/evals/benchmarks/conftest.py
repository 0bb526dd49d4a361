"""Shared fixtures: one tiny model (and one lm-eval LM on it) per test session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WANDB_SILENT", "true")


@pytest.fixture(scope="session")
def tiny_model(tiny_cache) -> str:
    """The session's tiny model (tests/conftest.py): built once per session, not once per folder."""
    from harness.models.tiny import build_tiny

    return str(build_tiny(tiny_cache))


@pytest.fixture(scope="session")
def tiny_lm(tiny_model):
    from evals.evaluation import load_lm

    return load_lm(tiny_model, backend="hf", batch_size=8)


@pytest.fixture(scope="session")
def rules_judge():
    from evals.judges.rules import RulesJudge

    return RulesJudge()
