"""Where every value of ``experiment=paper`` comes from: the provenance table and its checks.

``conf/experiment/paper.provenance.yml`` (``.yml``: Hydra lists only ``.yaml`` files as options) gives
each value of ``conf/experiment/paper.yaml`` (a defaults-list choice such as ``/data``, or a dotted
path such as ``train.max_steps``; ``*`` patterns allowed) a status: ``sourced`` (the paper states it:
``quote`` holds the seed pages' words, ``where`` the section) or ``chosen`` (the paper does not:
``reason`` says why this value). The quoted words must be in ``docs/paper/seed_excerpts.txt``, the
passages of the seed pages the table relies on. ``docs/gen_reference.py`` renders the table into the
docs at build time; ``python -m harness.tools.provenance`` prints it and exits 1 on a check that fails.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import CONF_DIR, REPO_ROOT

PRESET = CONF_DIR / "experiment" / "paper.yaml"
PROVENANCE = CONF_DIR / "experiment" / "paper.provenance.yml"
EXCERPTS = REPO_ROOT / "docs" / "paper" / "seed_excerpts.txt"
STATUSES = ("sourced", "chosen")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


@dataclass(frozen=True)
class Entry:
    key: str
    status: str
    quote: list[str] = field(default_factory=list)
    where: str = ""
    reason: str = ""


def normalize(text: str) -> str:
    """What a quote is compared on: line-break hyphens joined, whitespace dropped (the seed's rendering
    lost some spaces, e.g. ``thestatic_prior_weight``), curly quotes made straight, case folded."""
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text.translate(_QUOTES))
    return re.sub(r"\s+", "", text).casefold()


def excerpts(path: Path | None = None) -> dict[str, str]:
    """The seed passages by heading (``=== <what> | <file> ===`` lines; ``#`` lines before the first are notes)."""
    out: dict[str, str] = {}
    head = None
    for line in (path or EXCERPTS).read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"=== (.+) ===", line)
        if m:
            head = m.group(1)
            out[head] = ""
        elif head is not None:
            out[head] += line + "\n"
    return {k: v.strip("\n") for k, v in out.items()}


def preset_leaves(path: Path | None = None) -> Iterator[tuple[str, Any]]:
    """(key, value) of every value the preset sets: its defaults-list choices (``/data``...) and the
    leaves of its body (dotted paths; a list is one value), interpolations unresolved."""
    import yaml

    doc = yaml.safe_load((path or PRESET).read_text(encoding="utf-8")) or {}
    for item in doc.pop("defaults", []) or []:
        if isinstance(item, dict):
            for k, v in item.items():
                yield str(k).removeprefix("override ").strip(), v
        elif item != "_self_":
            yield str(item), None

    def walk(node: Any, prefix: str) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict) and node:
            for k, v in node.items():
                yield from walk(v, f"{prefix}.{k}" if prefix else str(k))
        else:
            yield prefix, node

    yield from walk(doc, "")


def load(path: Path | None = None) -> list[Entry]:
    """The table; a malformed entry fails in one line naming it."""
    import yaml

    path = path or PROVENANCE
    out = []
    for key, raw in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
        where = f"{path.name}: {key}"
        if not isinstance(raw, dict) or raw.get("status") not in STATUSES:
            raise ValueError(f"{where}: needs status: {' | '.join(STATUSES)}")
        quote = raw.get("quote") or []
        quote = [quote] if isinstance(quote, str) else list(quote)
        e = Entry(str(key), raw["status"], quote, str(raw.get("where") or ""), str(raw.get("reason") or ""))
        if e.status == "sourced" and not (e.quote and e.where):
            raise ValueError(
                f"{where}: a sourced value quotes the seed pages (quote) and names the section (where)"
            )
        if e.status == "chosen" and not e.reason:
            raise ValueError(f"{where}: a chosen value says why (reason)")
        out.append(e)
    return out


def entry_for(key: str, entries: list[Entry]) -> Entry | None:
    """The entry of ``key``: its own, else the longest ``*`` pattern that matches it."""
    exact = [e for e in entries if e.key == key]
    if exact:
        return exact[0]
    matches = [e for e in entries if "*" in e.key and fnmatch.fnmatchcase(key, e.key)]
    return max(matches, key=lambda e: len(e.key), default=None)


def unquoted(entries: list[Entry], seed_text: str) -> list[tuple[str, str]]:
    """(key, quote) of every quote that is not in the seed text (normalized)."""
    haystack = normalize(seed_text)
    return [(e.key, q) for e in entries for q in e.quote if normalize(q) not in haystack]


def problems(preset: Path | None = None, table: Path | None = None) -> list[str]:
    """Every check, one line each: values without an entry, entries without a value, quotes not in the seed."""
    entries = load(table)
    keys = [k for k, _ in preset_leaves(preset)]
    out = [
        f"{PRESET.name}: {k}: no provenance entry in {PROVENANCE.name}"
        for k in keys
        if entry_for(k, entries) is None
    ]
    out += [
        f"{PROVENANCE.name}: {e.key}: matches no value of {PRESET.name}"
        for e in entries
        if not any(k == e.key or ("*" in e.key and fnmatch.fnmatchcase(k, e.key)) for k in keys)
    ]
    out += [
        f"{PROVENANCE.name}: {k}: quote not in the seed pages: {q!r}"
        for k, q in unquoted(entries, "\n".join(excerpts().values()))
    ]
    return out


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render() -> str:
    """The docs page: one row per value of the preset."""
    entries = load()
    rows = []
    for key, value in preset_leaves():
        e = entry_for(key, entries)
        assert e is not None, f"{key}: no provenance entry (python -m harness.tools.provenance)"
        if e.status == "sourced":
            source = f"{e.where}: " + " ... ".join(f"\u201c{q}\u201d" for q in e.quote)
            if e.reason:
                source += f" ({e.reason})"
        else:
            source = e.reason + (
                " Seed: " + " ... ".join(f"\u201c{q}\u201d" for q in e.quote) if e.quote else ""
            )
        rows.append(f"| `{_cell(key)}` | `{_cell(value)}` | {e.status} | {_cell(source)} |")
    n_sourced = sum(
        1 for k, _ in preset_leaves() if (entry_for(k, entries) or Entry("", "")).status == "sourced"
    )
    return "\n".join(
        [
            "# Provenance of `experiment=paper`",
            "",
            "Every value that `conf/experiment/paper.yaml` sets, and where it comes from: **sourced** (the paper "
            "states it; the words quoted are the seed pages', checked by `tests/harness/test_provenance.py` against "
            "`docs/paper/seed_excerpts.txt`) or **chosen** (the paper does not state it, or we could not see it: "
            "the reason). We have the paper's abstract and fragments of its appendix, not the full text "
            "([the paper guide](../guides/paper.md)). Generated from `conf/experiment/paper.provenance.yml` at "
            "build time.",
            "",
            f"{len(rows)} values: {n_sourced} sourced, {len(rows) - n_sourced} chosen.",
            "",
            "| setting | value | status | source or reason |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


def main() -> None:
    bad = problems()
    if bad:
        print("\n".join(bad), file=sys.stderr)
        raise SystemExit(1)
    print(render())


if __name__ == "__main__":
    main()
