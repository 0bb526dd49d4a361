"""No module reaches into another's private names (``from x import _name`` or ``x._name``).

A leading underscore says "only this module relies on it"; a helper that two modules share is
public, or lives where both can import it. Scanned from the source (ast), so the test needs
nothing importable and names every offence with its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "methods", "evals", "harness")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def private_uses(path: Path, root: Path = ROOT) -> list[str]:
    """``file:line: name`` for each private name of another module that ``path`` takes."""
    tree = ast.parse(path.read_text(), str(path))
    where = path.relative_to(root)
    found, modules = [], set()  # modules: local names bound to one of the project's modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            for a in node.names:
                if _private(a.name):
                    found.append(f"{where}:{node.lineno}: from {node.module} import {a.name}")
                elif node.level == 0 and _is_module(f"{node.module}.{a.name}"):
                    modules.add(a.asname or a.name)
        elif isinstance(node, ast.Import):
            modules.update(a.asname for a in node.names if a.asname and a.name.split(".")[0] in PACKAGES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules \
                and _private(node.attr):
            found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_imports_another_modules_private_names():
    found = [u for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py")) for u in private_uses(p)]
    assert not found, "private names used across modules (make them public or move them):\n" + "\n".join(found)


def test_the_scan_finds_both_forms(tmp_path):
    """The check can fail: a planted file with both forms is reported twice."""
    bad = tmp_path / "probe.py"
    bad.write_text("from core.rubric import _secret\nfrom core import rubric\nrubric._other()\n")
    got = private_uses(bad, tmp_path)
    assert [g.split(": ", 1)[1] for g in got] == ["from core.rubric import _secret", "rubric._other"]
