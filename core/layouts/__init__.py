"""The one registry of row layouts: training data (``core.data.load_examples``) and benchmark rows.

One module per published layout (classic: harness/openrubrics/rar; verl, healthbench,
researchrubrics), each registering a ``Layout``: how to parse one row, which top-level
columns it reads (parquet reads only those, so verl's ``extra_info`` copy of every rubric
costs nothing), and the fields that identify it so ``format: auto`` can pick it from the
first row or, when none fits, name the closest layout and the field it lacks. A benchmark
registers its own rows' layout from its folder (``evals.benchmarks.<name>``, ``training=False``:
not a ``data.format``, never auto-detected) and reads them with ``parse_rows``, so a bad
benchmark row fails as a bad training row does: one line naming the file, the row and the field.

The rows of a file, for every layout (JSONL, JSON as AlpacaEval ships it, or parquet), are read
here too (``read_rows``, ``iter_rows``), so a bad file fails the same way for training data and
benchmarks: one line naming the file, the row and the field, never a bare decode error.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import DataConf
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


# ----------------------------------------------------------------------------- files


def _decode_error(p: Path, raw: bytes, err: UnicodeDecodeError) -> RubricFormatError:
    line = raw[: err.start].count(b"\n") + 1
    return RubricFormatError(str(p), line, "<file>", f"not UTF-8 text (byte {err.start}); a binary file? "
                             "parquet files need the .parquet suffix or the PAR1 header")


def drop_nulls(v: Any) -> Any:
    """Parquet structs have every field of the column's schema; a null one means the key was absent."""
    if isinstance(v, dict):
        return {k: drop_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [drop_nulls(x) for x in v]
    return v


def _parquet_rows(p: Path) -> list[Any]:
    import pyarrow.parquet as pq

    try:
        return [drop_nulls(r) for r in pq.read_table(p).to_pylist()]
    except Exception as e:  # pyarrow's own errors -> one line naming the file
        raise RubricFormatError(str(p), None, "<file>", f"not a readable parquet file ({str(e).splitlines()[0]})") from None


def _json_rows(p: Path, text: str) -> list[Any]:
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as e:
        raise RubricFormatError(str(p), e.lineno, "<json>", f"not valid JSON ({e.msg}, column {e.colno})") from None
    if not isinstance(rows, list):
        raise RubricFormatError(str(p), None, "<file>", "expected a JSON list of objects")
    return rows


def _jsonl_rows(p: Path, text: str) -> list[Any]:
    # split on "\n" only: str.splitlines() would also split on U+2028/U+2029 (and \x1c..\x1e, \x85),
    # which JSON allows unescaped inside strings (Arena-Hard v2's question.jsonl has them)
    rows = []
    for n, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise RubricFormatError(str(p), n, "<json>", f"not valid JSON ({e.msg}, column {e.colno})") from None
    return rows


def read_rows(path: str | Path, what: str = "rubric") -> list[dict[str, Any]]:
    """Rows of a JSONL, JSON (a list, as AlpacaEval ships) or parquet file: the one reader of every loader.

    The format comes from the suffix (``.parquet`` or the ``PAR1`` magic, ``.json``, else JSONL).
    JSONL is split on "\\n" only. Malformed input raises RubricFormatError naming the file, the row
    (1-based line of a JSONL file) and the field, never a bare decode error.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such {what} file")
    raw = p.read_bytes()
    if p.suffix.lower() == ".parquet" or raw[:4] == b"PAR1":
        rows = _parquet_rows(p)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise _decode_error(p, raw, e) from None
        rows = _json_rows(p, text) if p.suffix.lower() == ".json" else _jsonl_rows(p, text)
    for n, r in enumerate(rows, start=1):
        if not isinstance(r, dict):
            raise RubricFormatError(str(p), n, "<row>", "expected a JSON object")
    if not rows:
        raise RubricFormatError(str(p), None, "<file>", "no rows")
    return rows


def iter_rows(path: Path, columns: Iterable[str] | None = None, batch_rows: int = 1024,
              keep_nulls: bool = False) -> Iterator[dict[str, Any]]:
    """Rows of a parquet file streamed in record batches (only ``columns`` when given, those the
    file has), else of a JSONL/JSON file through ``read_rows``."""
    raw = path.open("rb").read(4)
    if path.suffix.lower() != ".parquet" and raw != b"PAR1":
        yield from read_rows(path)
        return
    import pyarrow.parquet as pq

    empty = True
    try:
        f = pq.ParquetFile(path)
        have = set(f.schema_arrow.names)
        cols = None if columns is None else [c for c in columns if c in have]
        for batch in f.iter_batches(batch_size=batch_rows, columns=cols):
            for r in batch.to_pylist():
                empty = False
                yield r if keep_nulls else drop_nulls(r)
    except Exception as e:  # pyarrow's own errors -> one line naming the file
        why = f"not a readable parquet file ({str(e).splitlines()[0]})"
        raise RubricFormatError(str(path), None, "<file>", why) from None
    if empty:
        raise RubricFormatError(str(path), None, "<file>", "no rows")


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
        return next(iter_rows(src, batch_rows=1))
    row = next(iter(src[1]), None)
    if row is None:
        raise RubricFormatError(src[0], None, "<file>", "no rows")
    return dict(row)


def tag_value(v: Any) -> str:
    """A tag value as the report groups it: lower case, words joined by '_' ("Explicit Criteria" -> explicit_criteria)."""
    return "_".join(str(v).lower().split())
