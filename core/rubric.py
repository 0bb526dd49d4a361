"""The rubric schema, and the helpers every row parser (``core.layouts``) builds it with.

One schema (Criterion / Rubric / Example) for every source, so the judges, the
methods and the benchmarks never see a dataset's own format. The layouts validate
every row and fail with one line naming the file, the row (1-based) and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
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



def iter_kinds(examples: Iterable[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in examples:
        for c in e.rubric.criteria:
            counts[c.kind] = counts.get(c.kind, 0) + 1
    return counts
