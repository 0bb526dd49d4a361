"""The import graph: no cycles between the project's modules, and no source file over 450 lines.

import-linter (``lint-imports``) checks the layers; it cannot say "no cycle anywhere", so this
walks grimp's graph (import-linter's own engine) with Tarjan's strongly connected components.
"""

from __future__ import annotations

from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "methods", "evals", "harness", "tests")
MAX_LINES = 450


def import_cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (each one holds a cycle)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(root: str) -> None:  # iterative Tarjan (no recursion limit on a deep graph)
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(edges[w])))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

    for m in edges:
        if m not in index:
            visit(m)
    return out


def test_cycle_finder_finds_a_cycle():
    g = grimp.ImportGraph()
    for m in ("p", "p.a", "p.b", "p.c"):
        g.add_module(m)
    g.add_import(importer="p.a", imported="p.b")
    g.add_import(importer="p.b", imported="p.a")
    g.add_import(importer="p.c", imported="p.a")
    assert import_cycles(g) == [["p.a", "p.b"]]


def test_no_import_cycles_between_project_modules():
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    assert import_cycles(graph) == []


def test_no_source_file_over_450_lines():
    files = [p for d in ("core", "methods", "evals", "harness", "perf", "tests") for p in (ROOT / d).rglob("*.py")]
    assert len(files) > 50
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"split these files (over {MAX_LINES} lines): {long}"


def test_harness_has_at_most_12_top_level_modules():
    """Grouped by role: a newcomer reads harness/ as a short list of entry points and packages."""
    top = sorted(p.name for p in (ROOT / "harness").iterdir()
                 if (p.suffix == ".py" and p.name != "__init__.py") or (p / "__init__.py").is_file())
    assert len(top) <= 12, top
