"""The README stays a first screen: two set-up commands (CI runs the second verbatim), a quick tour whose
commands compose, and at most 250 lines."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


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
    assert "'.[test,smol,docs]'" in tests and "mkdocs build --strict" in tests and "lint-imports" in tests and "pytest" in tests


def test_getting_started_gives_the_readme_commands_verbatim():
    guide = (REPO / "docs" / "getting-started.md").read_text()
    blocks = re.findall(r"```bash\n(.+?)\n```", guide, re.S)
    for cmd in _commands():
        assert cmd in blocks, f"docs/getting-started.md lost or changed the README's command: {cmd[:60]}..."


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (REPO / ".ci" / "run").read_text()
    assert _commands()[1] + " || status=$?" in ci


def test_readme_other_methods_command_sweeps_those_methods():
    """The README's "other methods" override must reach the sweeper as one list (unquoted, Hydra refuses it)."""
    cmd = re.search(r"^(python -m harness\.sweep experiment=smol \"hydra\.sweeper\.params\.method=[^\n]+)$", README, re.M)
    assert cmd, "README lost the other-methods command"
    argv = shlex.split(cmd.group(1))[1:]
    out = subprocess.run([sys.executable, *argv, "--cfg", "hydra", "--package", "hydra.sweeper"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert "method: pow3r,focal_prior,gdpo,maxmin,veto" in out, out


def test_readme_is_a_first_screen_not_a_log():
    assert len(README.splitlines()) <= 250
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", README), "dated run logs belong in docs/notes or docs/results"


def test_readme_links_resolve():
    links = re.findall(r"\]\(((?:docs|tests)/[^)#]+)\)", README)
    assert links and [x for x in links if not (REPO / x).exists()] == []


def test_quick_tour_sweep_commands_compose():
    """Each ``python -m harness.sweep`` line of the quick tour composes (``--cfg job``), SLURM launcher included."""
    tour = README.split("## Quick tour", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.+?)\n```", tour, re.S).group(1).replace("\\\n", " ")
    sweeps = [line.split("#")[0] for line in block.splitlines() if line.startswith("python -m harness.sweep ")]
    assert len(sweeps) == 3
    for line in sweeps:
        overrides = [a for a in shlex.split(line.replace("--cfg job", ""))[3:] if a != "-m"]  # after python -m harness.sweep
        r = subprocess.run([sys.executable, "-m", "harness.sweep", *first_job(overrides), "--cfg", "job"], capture_output=True, text=True,
                           timeout=180, cwd=REPO)
        assert r.returncode == 0, (line, r.stderr[-2000:])


def first_job(overrides: list[str]) -> list[str]:
    """A multirun's overrides for its first job (``method=a,b`` -> ``method=a``), parsed by Hydra's own parser."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    out = []
    for o in OverridesParser.create().parse_overrides(overrides):
        if o.is_sweep_override():
            out.append(f"{o.get_key_element()}={next(o.sweep_string_iterator())}")
        else:
            out.append(o.input_line)
    return out
