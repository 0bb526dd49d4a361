"""The one registry of row layouts: training data (``core.data.load_examples``) and benchmark rows.

One module per published layout (classic: harness/openrubrics/rar; verl, healthbench,
researchrubrics), each registering a ``Layout``: how to parse one row, which top-level
columns it reads (parquet reads only those, so verl's ``extra_info`` copy of every rubric
costs nothing), and the fields that identify it so ``format: auto`` can pick it from the
first row or, when none fits, name the closest layout and the field it lacks. A benchmark
registers its own rows' layout from its folder (``evals.benchmarks.<name>``, ``training=False``:
not a ``data.format``, never auto-detected) and reads them with ``parse_rows``, so a bad
benchmark row fails as a bad training row does: one line naming the file, the row and the field.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import DataConf
from core.layouts.files import first_row, iter_rows, read_rows  # noqa: F401 (read_rows: every layout's reader)
from core.rubric import Example, RubricFormatError


def _default(name: str) -> str:
    """A typed option's default, written once in ``DataConf``."""
    return str(getattr(DataConf, name).value)


@dataclass(frozen=True)
class LayoutOptions:
    """How a layout's rows become criteria (the ``data.*`` options; see docs/guides/own-data.md).

    judged_kind: the kind of criteria an LLM judges (verl ``verifier: llm``, no verifier,
      HealthBench and ResearchRubrics items). unknown_rules: ``error`` or ``llm`` for a verl
      ``verifier: rule`` whose function the rules judge does not know. abilities: keep only
      verl rows whose ``ability`` (or ``data_source``) is one of these. principle_tags: an
      LLM-judged criterion with one of these tags (``axis:completeness``) is a Principle whatever
      ``judged_kind`` says: the paper's Principles are graded qualities (completeness, clarity, depth),
      its Hard Rules binary requirements (factuality, safety, format).
    """

    judged_kind: str = _default("judged_kind")
    unknown_rules: str = _default("unknown_rules")
    abilities: tuple[str, ...] | None = None
    pitfall_polarity: str = _default("pitfall_polarity")
    principle_tags: tuple[str, ...] = ()

    def judged_kind_of(self, tags) -> str:
        """The kind of an LLM-judged criterion with these tags."""
        return "principle" if self.principle_tags and set(tags) & set(self.principle_tags) else self.judged_kind


@dataclass
class Context:
    """Per-file parsing state: the options, and what a layout reports once the file is read."""

    source: str
    options: LayoutOptions
    unknown_rules: Counter = field(default_factory=Counter)  # function -> criteria
    first_unknown: dict[str, tuple[str, int]] = field(default_factory=dict)  # function -> (file, row)
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """parse(row, n, ctx) -> Example, or None for a row the options leave out.
    signature: fields that identify the layout ("a|b" alternatives, "x.0.y" paths, ":str" type).
    finish(ctx, examples) runs once after the last row (file-level errors and warnings).
    nulls: the parser treats a null field as an absent one, so parquet rows skip ``drop_nulls``.
    training: a ``data.format`` (auto-detected, read by ``load``); False for a benchmark's rows."""

    name: str
    parse: Callable[[dict[str, Any], int, Context], Example | None]
    signature: tuple[str, ...]
    columns: tuple[str, ...] | None = None
    finish: Callable[[Context, list[Example]], None] | None = None
    nulls: bool = False  # True: the parser reads parquet's null struct fields as absent itself (faster)
    training: bool = True


LAYOUTS: dict[str, Layout] = {}
_MODULES = ("core.layouts.classic", "core.layouts.verl", "core.layouts.healthbench", "core.layouts.researchrubrics")


def register(layout: Layout) -> Layout:
    """Add a layout; a second module claiming a name that another module registered is an error."""
    have = LAYOUTS.get(layout.name)
    if have is not None and have.parse.__module__ != layout.parse.__module__:
        raise ValueError(f"layout {layout.name!r} is registered by {have.parse.__module__} and {layout.parse.__module__}")
    LAYOUTS[layout.name] = layout
    return layout


def layouts() -> dict[str, Layout]:
    """Every registered layout (a benchmark's once its module is imported)."""
    for m in _MODULES:
        importlib.import_module(m)
    return LAYOUTS


def training_layouts() -> dict[str, Layout]:
    """The layouts that ``data.format`` names (``DataFormat``), in registry order."""
    return {k: lay for k, lay in layouts().items() if lay.training}


# ----------------------------------------------------------------------------- detection


def _has(row: Any, spec: str) -> bool:
    path, _, typ = spec.partition(":")
    v = row
    for part in path.split("."):
        if isinstance(v, list) and part.isdigit():
            v = v[int(part)] if int(part) < len(v) else None
        elif isinstance(v, dict):
            v = v.get(part)
        else:
            return False
        if v is None:
            return False
    return {"str": isinstance(v, str), "list": isinstance(v, list)}.get(typ, True)


def missing_fields(row: dict[str, Any], layout: Layout) -> list[str]:
    return [spec for spec in layout.signature if not any(_has(row, alt) for alt in spec.split("|"))]


def detect(row: dict[str, Any], source: str) -> str:
    """The layout the first row fits; else one line naming the closest layout and its missing field."""
    scored = []  # (missing, -matched, registry order): fewest missing, then most matched
    known = training_layouts()
    for k, lay in enumerate(known.values()):
        miss = len(missing_fields(row, lay))
        scored.append((miss, miss - len(lay.signature), k, lay))
    fits = [lay for miss, _, _, lay in scored if miss == 0]
    if fits:
        return max(fits, key=lambda lay: len(lay.signature)).name
    best = min(scored, key=lambda s: s[:3])[3]
    miss = missing_fields(row, best)[0]
    raise RubricFormatError(source, 1, miss.split("|")[0].split(":")[0],
                            f"fits no known layout; closest is '{best.name}', which needs '{miss}' "
                            f"(set data.format to one of {sorted(known)})")


# ----------------------------------------------------------------------------- reading


def parse_files(files: Iterable[tuple[str, Iterable[dict[str, Any]]]], fmt: str, options: LayoutOptions) -> list[Example]:
    """Every row of every (source, rows) through one layout, then its checks over them all
    (unknown rule functions are listed once for a whole dataset, not file by file)."""
    lay = layouts()[fmt]
    ctx = Context("", options)
    out: list[Example] = []
    for source, rows in files:
        ctx.source = source
        out += [e for n, row in enumerate(rows, start=1) if (e := lay.parse(row, n, ctx)) is not None]
    if lay.finish is not None:
        lay.finish(ctx, out)
    return out


def parse_rows(rows: Sequence[dict[str, Any]], source: str, fmt: str,
               options: LayoutOptions | None = None) -> list[Example]:
    """Rows already read (a benchmark's file or hub split) through layout ``fmt``; rows count from 1."""
    return parse_files([(source, rows)], fmt, options or LayoutOptions())


Source = Path | tuple[str, Iterable[dict[str, Any]]]  # a file, or (name, rows already read: a hub split)


def load(sources: Sequence[Source], fmt: str, options: LayoutOptions) -> list[Example]:
    """Training data in layout ``fmt`` (``auto``: detected from the first row of the first source):
    files, read here (parquet: only the layout's columns), or rows already read, e.g. a hub split
    (``(name, rows)``, re-iterable)."""
    known = training_layouts()
    if fmt != "auto" and fmt not in known:
        raise ValueError(f"unknown rubric format {fmt!r}; known: {sorted(known)} or 'auto'")
    for src in sources:
        if isinstance(src, Path) and not src.is_file():
            raise FileNotFoundError(f"{src}: no such rubric file")
    if fmt == "auto":
        fmt = detect(_first_row(sources[0]), source_name(sources[0]))
    lay = known[fmt]
    return parse_files(((str(s), iter_rows(s, lay.columns, keep_nulls=lay.nulls)) if isinstance(s, Path) else s
                        for s in sources), fmt, options)


def source_name(src: Source) -> str:
    """A source as an error names it: the file, or the name of rows already read."""
    return str(src) if isinstance(src, Path) else src[0]


def _first_row(src: Source) -> dict[str, Any]:
    if isinstance(src, Path):
        return first_row(src)
    row = next(iter(src[1]), None)
    if row is None:
        raise RubricFormatError(src[0], None, "<file>", "no rows")
    return dict(row)


def tag_value(v: Any) -> str:
    """A tag value as the report groups it: lower case, words joined by '_' ("Explicit Criteria" -> explicit_criteria)."""
    return "_".join(str(v).lower().split())
