"""Rubric schema and loaders.

One schema (Criterion / Rubric / Example) for every source, so the judges, the
methods and the benchmarks never see a dataset's own format. Loaders validate
every row and fail with one line naming the file, the row (1-based) and the field.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

Kind = Literal["hard_rule", "principle"]
log = logging.getLogger(__name__)


class RubricFormatError(ValueError):
    """A malformed input row; the message is one line: ``file:row: field 'x': why``."""

    def __init__(self, source: str, row: int | None, field: str, why: str):
        where = f"{source}:{row}" if row is not None else source
        super().__init__(f"{where}: field '{field}': {why}")
        self.source, self.row, self.field, self.why = source, row, field, why


class Criterion(BaseModel):
    """One rubric item. ``weight``/``points`` may be negative (pitfalls)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # stripped, then non-empty: in pydantic's core, not a Python validator (3 M criteria load in seconds)
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    kind: Kind
    weight: float | None = None
    points: float | None = None
    tags: tuple[str, ...] = ()
    check: dict[str, Any] | None = None

    @field_validator("check")
    @classmethod
    def _check_has_type(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None and not isinstance(v.get("type"), str):
            raise ValueError("a check needs a string 'type'")
        return v


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    criteria: tuple[Criterion, ...] = Field(min_length=1)

    def __len__(self) -> int:
        return len(self.criteria)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(c.kind for c in self.criteria)

    def to_json(self) -> str:
        return json.dumps([c.model_dump(exclude_none=True) for c in self.criteria], sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Rubric:
        return cls(criteria=[Criterion(**c) for c in json.loads(text)])


class Example(BaseModel):
    """One prompt with its rubric: the unit of training data and of rubric benchmarks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    prompt: str | list[dict[str, str]]
    rubric: Rubric
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("prompt")
    @classmethod
    def _prompt_ok(cls, v):
        if isinstance(v, str):
            if not v.strip():
                raise ValueError("must not be blank")
        else:
            if not v:
                raise ValueError("message list must not be empty")
            for m in v:
                if set(m) - {"role", "content"} or "role" not in m or "content" not in m:
                    raise ValueError("messages need exactly 'role' and 'content'")
        return v

    @model_validator(mode="before")
    @classmethod
    def _wrap_rubric(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("rubric"), list):
            data = {**data, "rubric": {"criteria": data["rubric"]}}
        return data

    @property
    def messages(self) -> list[dict[str, str]]:
        if isinstance(self.prompt, str):
            return [{"role": "user", "content": self.prompt}]
        return list(self.prompt)

    @property
    def question(self) -> str:
        """The last user turn, which is what a judge is asked about."""
        users = [m["content"] for m in self.messages if m["role"] == "user"]
        return users[-1] if users else self.messages[-1]["content"]


# ----------------------------------------------------------------------------- parsing helpers


def field_of(err: ValidationError) -> tuple[str, str]:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if p not in ("criteria",)) or "<row>"
    return loc, first["msg"]


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


def build_example(source: str, n: int, data: dict[str, Any]) -> Example:
    """Example(**data) with pydantic's errors turned into one-line RubricFormatErrors."""
    try:
        return Example(**data)
    except ValidationError as e:
        field, why = field_of(e)
        raise RubricFormatError(source, n, field, why) from None


def object_items(items: list[Any], source: str, n: int, field: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(k, item) for a list of rubric items, each required to be a JSON object."""
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise RubricFormatError(source, n, f"{field}.{k}", "expected an object")
        yield k, item


def item_text(item: dict[str, Any], key: str, source: str, n: int, where: str) -> str:
    """A required non-blank string field of one rubric item."""
    v = item.get(key)
    if not isinstance(v, str) or not v.strip():
        raise RubricFormatError(source, n, f"{where}.{key}", "missing or blank")
    return v


def item_number(item: dict[str, Any], key: str, source: str, n: int, where: str) -> float:
    """A required numeric (not boolean) field of one rubric item."""
    v = item.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise RubricFormatError(source, n, f"{where}.{key}", "expected a number")
    return float(v)


def _require(source: str, n: int, row: dict, *names: str) -> Any:
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    raise RubricFormatError(source, n, names[0], "missing")


# ----------------------------------------------------------------------------- formats

_OPENRUBRICS_START = re.compile(r"^\s*(\d+)[.)]\s+(.*)$")
# the kind tag(s) closing a line: the kind position. A tag inside the text ("why a [Principle] tag
# differs") is part of the text; only a tag that ends a line of the item says its kind.
_OPENRUBRICS_TAG = re.compile(r"((?:\s*\[(?:Hard Rule|Principle)\])+)\s*$", re.IGNORECASE)
_TAG_NAME = re.compile(r"\[(Hard Rule|Principle)\]", re.IGNORECASE)


def parse_openrubrics_text(text: str) -> list[dict[str, Any]]:
    """Parse OpenRubrics' numbered rubric text: ``1. ... [Hard Rule]`` / ``2. ... [Principle]``.

    An item starts at a numbered line; a line that does not start with a number continues the
    item above it (long items wrap). The kind is the tag that ends a line of the item (usually
    its last line); bracketed words elsewhere are text. Exactly one such tag per item.
    """
    blocks: list[list[str]] = []
    for line in text.split("\n"):
        s = line.strip()
        if not s:
            continue
        m = _OPENRUBRICS_START.match(s)
        if m:
            blocks.append([m.group(2)])
        elif blocks:
            blocks[-1].append(s)
        else:
            raise ValueError(f"text {s[:40]!r} comes before the first numbered item")
    items: list[dict[str, Any]] = []
    for k, parts in enumerate(blocks, start=1):
        tags: list[str] = []
        body_parts = []
        for part in parts:
            m = _OPENRUBRICS_TAG.search(part)
            if m:
                tags += _TAG_NAME.findall(m.group(1))
                part = part[: m.start()]
            body_parts.append(part)
        joined = " ".join(parts)
        if len(tags) != 1:
            why = "does not end in [Hard Rule] or [Principle]" if not tags else "has more than one kind tag"
            raise ValueError(f"item {k} {joined[:40]!r} {why}")
        body = " ".join(" ".join(body_parts).split())
        if not body:
            raise ValueError(f"item {k} has no text")
        items.append({"text": body, "kind": "hard_rule" if tags[0].lower() == "hard rule" else "principle"})
    if not items:
        raise ValueError("no rubric items")
    return items


def from_openrubrics(row: dict[str, Any], source: str = "<openrubrics>", n: int = 1) -> Example:
    prompt = _require(source, n, row, "prompt", "instruction")
    text = _require(source, n, row, "rubric")
    if not isinstance(text, str):
        raise RubricFormatError(source, n, "rubric", "expected numbered rubric text")
    try:
        items = parse_openrubrics_text(text)
    except ValueError as e:
        raise RubricFormatError(source, n, "rubric", str(e)) from None
    rid = str(row.get("id", row.get("uid", f"openrubrics-{n}")))
    return build_example(source, n, {"id": rid, "prompt": prompt, "rubric": items, "meta": {"format": "openrubrics"}})


_RAR_PREFIX = re.compile(r"^\s*(Essential|Important|Optional|Pitfall)(?: Criteria)?\s*:\s*", re.IGNORECASE)
# pitfall text worded as the good behaviour ("should not neglect ...", "should mention that ...",
# "Avoids ...", "Does not ..."): met means the pitfall was avoided
_ABSENT_WORDING = re.compile(
    r"^(?:the (?:response|answer)\s+)?(?:should|must|needs? to|avoids?|does not|doesn't|do not|never|"
    r"refrains?|is not|isn't|correctly)\b", re.IGNORECASE)
PITFALL_POLARITIES = ("present", "absent")


def pitfall_wording(text: str) -> str:
    """'absent' if a pitfall's text describes avoiding the mistake, else 'present' (it names the mistake)."""
    return "absent" if _ABSENT_WORDING.match(text) else "present"


def from_rar(row: dict[str, Any], source: str = "<rar>", n: int = 1, pitfall_polarity: str = "present",
             contradictions: list[tuple[int, int, str]] | None = None) -> Example:
    """RaR rows: ``rubric`` is a list of {title, description, weight}; pitfalls carry negative weight.

    Essential items become hard rules, the rest principles; the category goes into the tags.
    ``pitfall_polarity`` says what a pitfall's text means when met: ``present`` (the text names the
    mistake, e.g. "Recommends waiting"; the weight stays negative and the score is flipped later) or
    ``absent`` (the text names the good behaviour, e.g. "Does not recommend waiting"; the weight
    becomes positive, tagged ``rar:pitfall``). Pitfalls whose wording reads the other way are
    appended to ``contradictions`` as (row, item, text).
    """
    if pitfall_polarity not in PITFALL_POLARITIES:
        raise ValueError(f"pitfall_polarity {pitfall_polarity!r}: use one of {PITFALL_POLARITIES}")
    prompt = _require(source, n, row, "question", "prompt")
    rubric = _require(source, n, row, "rubric")
    if not isinstance(rubric, list) or not rubric:
        raise RubricFormatError(source, n, "rubric", "expected a non-empty list of {title, description, weight}")
    items = []
    for k, item in object_items(rubric, source, n, "rubric"):
        desc = item_text(item, "description", source, n, f"rubric.{k}")
        weight = item_number(item, "weight", source, n, f"rubric.{k}")
        m = _RAR_PREFIX.match(desc)
        category = m.group(1).lower() if m else ("pitfall" if weight < 0 else "important")
        if (category == "pitfall") != (weight < 0):
            raise RubricFormatError(source, n, f"rubric.{k}.weight", "pitfalls and only pitfalls are negative")
        body = (desc[m.end():] if m else desc).strip() or desc.strip()
        if category == "pitfall":
            if contradictions is not None and pitfall_wording(body) != pitfall_polarity:
                contradictions.append((n, k, body))
            if pitfall_polarity == "absent":
                weight = abs(weight)
        items.append(
            {
                "text": body,
                "kind": "hard_rule" if category in ("essential", "pitfall") else "principle",
                "weight": float(weight),
                "tags": [f"rar:{category}"] + ([f"title:{item['title']}"] if item.get("title") else []),
            }
        )
    rid = str(row.get("id", f"rar-{n}"))
    meta = {"format": "rar", "pitfall_polarity": pitfall_polarity}
    return build_example(source, n, {"id": rid, "prompt": prompt, "rubric": items, "meta": meta})


def warn_pitfall_contradictions(source: str, polarity: str, found: list[tuple[int, int, str]], total: int) -> None:
    """One warning per file: how many pitfalls read against the chosen convention, with the first."""
    if not found:
        return
    row, k, text = found[0]
    log.warning("%s: %d of %d pitfall items are worded as '%s' but data.pitfall_polarity=%s "
                "(first: row %d item %d: %r); check the convention", source, len(found), total,
                pitfall_wording(text), polarity, row, k, text[:60])


def from_harness(row: dict[str, Any], source: str = "<harness>", n: int = 1) -> Example:
    """The harness's own JSONL: ``{id, prompt, rubric: [Criterion...], meta}``."""
    return build_example(source, n, row)


def iter_kinds(examples: Iterable[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in examples:
        for c in e.rubric.criteria:
            counts[c.kind] = counts.get(c.kind, 0) + 1
    return counts
