"""The catalog (methods, judges, scales, benchmarks, data, presets, data layouts, tools) in the README and
the docs, generated from ``conf/`` and the registries: ``python -m harness.tools.catalog [--check]``.

Hand-written lists drift (they missed ``static_boost``, ``judge=mixed``, the ``graded`` preset and
``tools.power``). Each list here is a block between ``<!-- catalog:<name> begin ... -->`` and
``<!-- catalog:<name> end -->`` in any page of ``PAGES``; this tool rewrites the blocks, ``--check`` (and
``tests/harness/tools/test_catalog.py``) fails when one differs. A config option's text is the
``# description:`` line of its YAML (else the first sentence of its leading comment); a layout's is
its module's docstring; a tool's is its module's docstring.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from core.config import CONF_DIR, REPO_ROOT

COMMAND = "python -m harness.tools.catalog"
PAGES = ("README.md", "docs/index.md", "docs/concepts.md", "docs/guides/own-data.md", "docs/reference/cli.md")
BLOCK = re.compile(r"(<!-- catalog:(?P<name>[\w-]+) begin[^>]*-->\n)(?P<body>.*?)(<!-- catalog:(?P=name) end -->)", re.S)

# config group -> (heading in the summary, the override that picks one)
GROUPS = {
    "method": ("Methods", "method"),
    "judge": ("Judges", "judge"),
    "scale": ("Scales", "scale"),
    "benchmark": ("Benchmarks", "benchmark"),
    "data": ("Training data", "data"),
    "experiment": ("Presets", "experiment"),
}


def leading_comment(path: Path) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        s = line.strip()
        if s.startswith("# @package"):
            continue
        if not s.startswith("#"):
            break
        out.append(s[1:].strip())
    return out


def describe(path: Path) -> str:
    """A YAML's one line: its ``# description:``, else the first sentence of its leading comment."""
    lines = leading_comment(path)
    for line in lines:
        if line.startswith("description:"):
            return line.split(":", 1)[1].strip()
    text = " ".join(x for x in lines if x)
    m = re.match(r"(.+?\.)(?=\s|$)", text)
    return (m.group(1) if m else text) or f"(no description: add a `# description:` line to {path.name})"


def options(group: str, conf_dir: Path = CONF_DIR) -> list[tuple[str, str]]:
    return [(p.stem, describe(p)) for p in sorted((conf_dir / group).glob("*.yaml"))]


def docstring(path: Path) -> str:
    """The first sentence of a module's docstring, on one line."""
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    first = " ".join(doc.split("\n\n", 1)[0].split()).replace("``", "`")
    return re.sub(r":? `python -m [^`]+`\.?$", ".", first)  # the command is in the table's first column


def layouts() -> list[tuple[str, str, str]]:
    """(name, identifying fields, module) of every training-data layout (a ``data.format``)."""
    from core.layouts import training_layouts as registry

    rows = []
    for name, lay in sorted(registry().items()):
        module = getattr(lay.parse, "__module__", "") or ""
        rows.append((name, ", ".join(f"`{s}`" for s in lay.signature), module))
    return rows


def tools() -> list[tuple[str, str]]:
    """(command, what) of every module in harness/tools/."""
    pkg = Path(__file__).parent
    return [(f"python -m harness.tools.{p.stem}", docstring(p)) for p in sorted(pkg.glob("*.py")) if p.stem != "__init__"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def group_table(group: str, conf_dir: Path = CONF_DIR) -> str:
    key = GROUPS[group][1]
    return _table((f"`{key}=`", "what"), [(f"`{name}`", text) for name, text in options(group, conf_dir)])


def summary(conf_dir: Path = CONF_DIR) -> str:
    """One line per kind: every option's name, where it lives."""
    lines = []
    for group, (title, _) in GROUPS.items():
        names = ", ".join(f"`{n}`" for n, _ in options(group, conf_dir))
        lines.append(f"- **{title}** (`conf/{group}/`): {names}")
    names = ", ".join(f"`{n}`" for n, _, _ in layouts())
    lines.append(f"- **Data layouts** (`core/layouts/`, `data.format=`): {names}, or `auto`")
    names = ", ".join(f"`{c.rsplit('.', 1)[1]}`" for c, _ in tools())
    lines.append(f"- **Tools** (`harness/tools/`, `python -m harness.tools.<name>`): {names}")
    return "\n".join(lines)


def layout_table() -> str:
    rows = [(f"`{n}`", sig, f"`{m}`: {docstring(Path(sys.modules[m].__file__))}") for n, sig, m in layouts()]
    return _table(("`data.format`", "identified by (first row)", "module"), rows)


def tool_table() -> str:
    return _table(("command", "what"), [(f"`{c}`", text) for c, text in tools()])


def blocks(conf_dir: Path = CONF_DIR) -> dict[str, Callable[[], str]]:
    """Block name -> its generated Markdown."""
    out: dict[str, Callable[[], str]] = {"summary": lambda: summary(conf_dir), "layouts": layout_table,
                                         "tools": tool_table}
    for group in GROUPS:
        out[group] = lambda g=group: group_table(g, conf_dir)
    return out


def render(text: str, source: str = "page", conf_dir: Path = CONF_DIR) -> str:
    """``text`` with every catalog block regenerated; an unknown block name is an error naming it."""
    gen = blocks(conf_dir)
    cache: dict[str, str] = {}

    def fill(m: re.Match) -> str:
        name = m.group("name")
        if name not in gen:
            raise SystemExit(f"{source}: unknown catalog block {name!r} (known: {', '.join(sorted(gen))})")
        if name not in cache:
            cache[name] = gen[name]()
        return f"{m.group(1)}{cache[name]}\n{m.group(4)}"

    return BLOCK.sub(fill, text)


def differences(root: Path | None = None) -> list[str]:
    """The pages whose catalog blocks differ from what the code would write."""
    root = root or REPO_ROOT
    return [page for page in PAGES if render((root / page).read_text(), page) != (root / page).read_text()]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 when a page differs")
    args = ap.parse_args(argv)
    stale = differences(REPO_ROOT)
    if args.check:
        for page in stale:
            print(f"{page}: the catalog differs from conf/ and the registries; run {COMMAND}", file=sys.stderr)
        return 1 if stale else 0
    for page in stale:
        path = REPO_ROOT / page
        path.write_text(render(path.read_text(), page))
        print(f"rewrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
