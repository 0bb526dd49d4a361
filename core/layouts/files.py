"""Rows of a file, for every layout: JSONL, JSON (a list, as AlpacaEval ships) or parquet.

Read once here, so training data and benchmark rows fail the same way on a bad file: one line
naming the file, the row and the field (``core.rubric.RubricFormatError``), never a bare decode error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from core.rubric import RubricFormatError


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
        raise RubricFormatError(str(path), None, "<file>", f"not a readable parquet file ({str(e).splitlines()[0]})") \
            from None
    if empty:
        raise RubricFormatError(str(path), None, "<file>", "no rows")


def first_row(path: Path) -> dict[str, Any]:
    return next(iter_rows(path, batch_rows=1))
