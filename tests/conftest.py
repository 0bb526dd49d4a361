"""Shared fixtures: one tiny model per test session, built offline into a temp cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import REPO_ROOT

REPO = REPO_ROOT
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _cache_dir(config: pytest.Config) -> Path:
    """The session's cache folder. Under pytest-xdist every worker is its own session: they share
    the folder above their own temp roots (``build_tiny``'s file lock lets one build, the rest wait)."""
    if os.environ.get("FOCAL_HARNESS_TEST_CACHE"):
        return Path(os.environ["FOCAL_HARNESS_TEST_CACHE"])
    base = config._tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "cache"


def _uses_tiny(item: pytest.Item) -> bool:
    return "tiny_cache" in getattr(item, "fixturenames", ())


@pytest.fixture(scope="session")
def tiny_cache(pytestconfig) -> Path:
    """A cache folder holding the tiny model (built once per session)."""
    from harness.models.tiny import build_tiny

    cache = _cache_dir(pytestconfig)
    build_tiny(cache)
    return cache


@pytest.fixture(scope="session")
def tiny_model(tiny_cache) -> Path:
    from harness.models.tiny import build_tiny

    return build_tiny(tiny_cache)


def pytest_collection_modifyitems(config, items):
    """File order for the two xdist workers (``--dist loadfile``: a file's tests share a worker, so
    every `slurm` test, all in test_slurm.py, runs in turn on the one small local node). The slurm
    file first: it is the longest chain. Then the files that need no model: they run while the
    tiny model is built in the background (below). Then the rest, each group in collection order."""
    slurm = {i.path for i in items if i.get_closest_marker("slurm")}
    tiny = {i.path for i in items if _uses_tiny(i)}
    items[:] = sorted(items, key=lambda i: 0 if i.path in slurm else 2 if i.path in tiny else 1)


_builder: subprocess.Popen | None = None


def pytest_collection_finish(session):
    """Start building the tiny model in a subprocess as soon as the selected tests are known (once
    per run: the first xdist worker, or the only process), instead of in the first test that needs
    it while the other worker waits. The fixture still calls ``build_tiny``: it waits on the lock,
    or builds itself if this build failed."""
    global _builder
    if os.environ.get("PYTEST_XDIST_WORKER", "gw0") != "gw0" or not any(map(_uses_tiny, session.items)):
        return
    cache = _cache_dir(session.config)
    cache.mkdir(parents=True, exist_ok=True)
    _builder = subprocess.Popen([sys.executable, "-m", "harness.models.tiny", str(cache)], cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pytest_sessionfinish(session):
    if _builder is not None:
        _builder.wait()  # some selected test needed the model, so it is built or nearly
