"""Shared fixtures: one tiny model per test session, built offline into a temp cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory) -> Path:
    """A cache folder holding the tiny model (built once per session).

    Under pytest-xdist every worker is its own session; they share one folder above their own
    temp roots, and ``build_tiny``'s file lock makes the first worker build while the others wait."""
    from harness.tiny import build_tiny

    shared = tmp_path_factory.getbasetemp().parent / "cache" if os.environ.get("PYTEST_XDIST_WORKER") else None
    cache = Path(os.environ.get("FOCAL_HARNESS_TEST_CACHE") or shared or tmp_path_factory.mktemp("cache"))
    build_tiny(cache)
    return cache


@pytest.fixture(scope="session")
def tiny_model(tiny_cache) -> Path:
    from harness.tiny import build_tiny

    return build_tiny(tiny_cache)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """One xdist worker runs every `slurm` test in turn: the local cluster has one small node, and
    two sweeps queued on it at once would each wait out the other's jobs."""
    for item in items:
        if item.get_closest_marker("slurm"):
            item.add_marker(pytest.mark.xdist_group("slurm"))
