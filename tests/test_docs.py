"""The getting-started page's commands work: each one runs here, or (the main job, a report of it)
composes with ``--cfg job`` / answers ``--help`` when running it whole is the end-to-end tests' job."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from core.config import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "getting-started.md"


def commands() -> list[str]:
    """Every ``python -m ...`` line of the page's bash blocks after its Install section (the two set-up
    commands there are the README's, which CI runs verbatim)."""
    text = PAGE.read_text()
    after_install = re.split(r"^## (?!Install)", text.split("## Install", 1)[1], maxsplit=1, flags=re.M)[1]
    blocks = re.findall(r"```bash\n(.+?)\n```", after_install, re.S)
    return [line.strip() for b in blocks for line in b.splitlines() if line.strip().startswith("python -m ")]


def runnable(cmd: str) -> list[str]:
    argv = shlex.split(cmd.split(" #", 1)[0])[1:]
    if "--help" in argv or "--cfg" in argv:
        return argv
    if argv[:2] == ["-m", "harness.sweep"] or argv[:2] == ["-m", "harness.evaluate"]:
        return [*argv, "--cfg", "job"]  # the whole run is tests/harness/test_e2e.py's
    return [*argv[:2], "--help"]  # e.g. a report of the main job's folder


def test_the_page_has_the_commands_a_newcomer_runs():
    cmds = commands()
    assert any(c.split("#")[0].strip() == "python -m harness.sweep" for c in cmds), cmds
    assert any(c.startswith("python -m harness.report") for c in cmds), cmds


@pytest.mark.parametrize("cmd", commands())
def test_getting_started_command_runs_or_composes(cmd):
    r = subprocess.run([sys.executable, *runnable(cmd)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (cmd, r.stderr[-2000:])
