"""The README's two set-up commands stay true: CI runs the README's test command verbatim."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    setup = text.split("## Set-up: the two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", setup, re.S)


def test_readme_has_exactly_two_setup_commands():
    cmds = _commands()
    assert len(cmds) == 2
    main, tests = cmds
    assert "torch==2.13.0" in main and main.rstrip().endswith("python -m harness.sweep")
    assert main.index("torch==2.13.0") < main.index("pip install -e .")
    assert "'.[test,smol]'" in tests and "lint-imports" in tests and "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (REPO / ".ci" / "run").read_text()
    assert _commands()[1] + " || status=$?" in ci


def test_readme_other_methods_command_sweeps_those_methods():
    """The README's "other methods" override must reach the sweeper as one list (unquoted, Hydra refuses it)."""
    readme = (REPO / "README.md").read_text()
    cmd = re.search(r"`(python -m harness\.sweep experiment=smol \"hydra\.sweeper\.params\.method=[^`]+)`", readme)
    assert cmd, "README lost the other-methods command"
    argv = shlex.split(cmd.group(1))[1:]
    out = subprocess.run([sys.executable, *argv, "--cfg", "hydra", "--package", "hydra.sweeper"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert "method: pow3r,focal_prior,gdpo,maxmin,veto" in out, out
