"""Modules moved in 0.2 keep their old names for one release: they import and run, with one deprecation line."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from core.config import REPO_ROOT
from harness import MOVED


@pytest.mark.parametrize("old,new", sorted(MOVED.items()))
def test_every_old_name_points_at_a_module_that_exists_and_no_file_keeps_the_old_name(old, new):
    assert importlib.util.find_spec(new) is not None
    assert not (REPO_ROOT / (old.replace(".", "/") + ".py")).exists()


def test_old_command_runs_the_moved_module_with_one_deprecation_line():
    r = subprocess.run([sys.executable, "-m", "harness.simulate", "--help"], cwd=REPO_ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "usage" in r.stdout.lower()
    notes = [line for line in r.stderr.splitlines() if "deprecated" in line]
    assert notes == ["harness.simulate is deprecated (moved to harness.tools.simulate); the old name goes in 0.3"]


def test_old_import_gives_the_moved_code():
    code = "import harness.store as s, harness.records.store as n; print(s.config_hash({'a': 1}) == n.config_hash({'a': 1}))"
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "True", r.stderr
    assert "harness.store is deprecated (moved to harness.records.store)" in r.stderr


def test_an_unknown_module_still_fails_to_import():
    r = subprocess.run([sys.executable, "-c", "import harness.no_such_module"], cwd=REPO_ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr
