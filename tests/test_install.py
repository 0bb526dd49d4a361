"""A non-editable install works outside the checkout: the wheel ships ``conf/`` (as ``core/conf/``) and
the data the presets use, and the entry points run from any working directory.

CI builds the wheel (``pip wheel --no-deps``) from a copy of the sources, installs it into a fresh
virtual environment that reuses this environment's dependencies (a ``.pth`` line, so nothing is
downloaded), and runs everything from a temporary directory, never the checkout.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from core.config import REPO_ROOT

pytestmark = pytest.mark.slow

SOURCES = ("core", "methods", "evals", "harness", "conf", "pyproject.toml", "setup.py", "README.md")

PRESETS = '''
from hydra.utils import instantiate

import core.config
from core.data import resolve_path
from evals.evaluation import benchmark_configs
from harness.compose import compose_sweep

for p in sorted((core.config.CONF_DIR / "experiment").glob("*.yaml")):
    cfg, _ = compose_sweep([f"experiment={p.stem}"])
    if cfg.data.get("path"):
        assert resolve_path(str(cfg.data.path)).is_file(), (p.stem, cfg.data.path)
    for name, bcfg in benchmark_configs(cfg.benchmark):
        path = bcfg.get("path")
        if (bcfg.get("hub_id") and not path) or (path and "FOCAL_DATA" in str(path)):
            continue  # the hub, or the user's own copy of the real files (experiment=paper)
        assert instantiate(bcfg).load(), (p.stem, name)
    print("ok", p.stem)
'''


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(wheel, the venv's python, a working directory outside the checkout)."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    for name in SOURCES:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(path, src / name)
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *build_isolation(), "-w", str(tmp / "dist"), str(src)],
        cwd=tmp)
    (wheel,) = (tmp / "dist").glob("focal_harness-*.whl")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = venv / "bin" / "python"
    purelib = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       cwd=tmp).stdout.strip())
    (purelib / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # after its own
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], cwd=tmp)
    work = tmp / "elsewhere"
    work.mkdir()
    return wheel, python, work


def build_isolation() -> list[str]:
    """Build with this environment's setuptools when it is recent enough (nothing downloaded), else isolated."""
    try:
        major = int(importlib.metadata.version("setuptools").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        return []
    return ["--no-build-isolation"] if major >= 68 else []


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONPATH"}  # never the checkout's packages
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, (cmd, r.stderr[-3000:])
    return r


def test_the_wheel_ships_conf_and_the_data_presets_read(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    conf = {f"core/conf/{p.relative_to(REPO_ROOT / 'conf')}" for p in (REPO_ROOT / "conf").rglob("*.yaml")}
    assert conf and conf <= names
    assert {"evals/benchmarks/ifeval/fixtures/real/input_data.jsonl", "evals/benchmarks/ifeval/task.yaml",
            "evals/benchmarks/ifeval/README.md", "core/assets/toy.jsonl",
            "core/assets/deepspeed_zero3.json"} <= names
    assert not [n for n in names if n.startswith(("tests/", "conf/"))]


def test_installed_package_is_used_and_finds_its_conf(installed):
    _, python, work = installed
    out = run([str(python), "-c", "import core.config as c, harness; print(harness.__file__); print(c.CONF_DIR)"],
              cwd=work).stdout.split()
    venv = str(python.parent.parent)
    assert out[0].startswith(venv) and out[1].startswith(venv) and out[1].endswith("core/conf")


def test_main_job_composes_from_another_directory(installed):
    _, python, work = installed
    out = run([str(python), "-m", "harness.sweep", "--cfg", "job"], cwd=work).stdout
    assert "sweep: toy" in out and "max_steps: 26" in out


def test_every_preset_composes_and_finds_its_files_from_another_directory(installed):
    _, python, work = installed
    out = run([str(python), "-c", PRESETS], cwd=work).stdout.split("\n")
    presets = sorted(p.stem for p in (REPO_ROOT / "conf" / "experiment").glob("*.yaml"))
    assert [line.split()[1] for line in out if line.startswith("ok ")] == presets


def test_main_job_runs_from_another_directory_at_a_small_size(installed, tmp_path):
    _, python, work = installed
    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(tmp_path / "cache"), "WANDB_MODE": "offline"}
    small = ["experiment=toy", "hydra.sweeper.params.method=static", "hydra.sweeper.params.seed=0",
             "train.max_steps=1", "train.save_steps=1", "benchmark.limit=1", "eval.max_new_tokens=4", "tracking=none",
             f"run.root={tmp_path / 'runs'}"]
    run([str(python), "-m", "harness.sweep", *small], cwd=work, env=env, timeout=900)
    cells = list((tmp_path / "runs" / "toy" / "cells").glob("*/result.json"))
    assert len(cells) == 6  # one per member of toy_suite
    assert not (work / "runs").exists()
