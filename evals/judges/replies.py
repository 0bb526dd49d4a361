"""Judge replies: strict pydantic models, the JSON Schemas generated from them, and ``response_format``.

One model per reply shape, built from the rubric's kinds (cached): a score list is a
fixed-length tuple with a JSON boolean at every Hard Rule position and a JSON integer
0-10 at every Principle position (no floats, even 7.0, no strings, no booleans for
integers). The same model validates every reply, whatever ``json_mode`` asked of the
server, and generates the JSON Schema that ``json_mode: json_schema`` sends, so the
constraint the server decodes with and the check the reply passes cannot drift apart.

A Principle position is spelled ``{"type": "integer", "minimum": 0, "maximum": 10, "enum":
[0, ..., 10]}``: llama.cpp's schema-to-grammar converter ignores ``minimum``/``maximum``, and under
that grammar a small judge wrote criterion numbers (11, 20, 23) as scores, every one an invalid
reply; ``enum`` becomes the grammar's eleven alternatives, so the range holds on every server.
The rationale is optional (``rationale_chars=0``: the reply is the scores alone) or bounded by
``maxLength``; :func:`reply_chars` is the longest reply a schema admits, which sets a constrained
request's ``max_tokens`` (a token is at least one character) so no reply can be cut off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
)

from core.scores import Score
from evals.judges.options import Dialect, JsonMode

RATIONALE_MAX_CHARS = 200  # the default bound (schema only): keeps a constrained small model short


class InvalidReply(ValueError):
    """A reply that is not a valid judgment (bad JSON, wrong length/type/range)."""


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)
_Principle = Annotated[StrictInt, Field(ge=0, le=10, json_schema_extra={"enum": list(range(11))})]
_Weight = Annotated[float, Field(strict=True, allow_inf_nan=False)]


def _text(max_chars: int) -> Any:
    return Annotated[StrictStr | None, Field(json_schema_extra={"maxLength": max_chars})]


_Text = _text(RATIONALE_MAX_CHARS)


class _Reply(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def _scores_type(kinds: tuple[str, ...]) -> Any:
    return tuple[tuple(StrictBool if k == "hard_rule" else _Principle for k in kinds)]  # type: ignore[misc]


def _rationale(max_chars: int) -> dict[str, Any]:
    """The rationale field, first (written before the scores), or none at all for ``max_chars=0``."""
    return {"rationale": (_text(max_chars), "")} if max_chars > 0 else {}


@lru_cache(maxsize=1024)
def rubric_model(kinds: tuple[str, ...], rationale_chars: int = RATIONALE_MAX_CHARS) -> type[BaseModel]:
    return create_model(
        "RubricReply", __base__=_Reply, **_rationale(rationale_chars), scores=(_scores_type(kinds), ...)
    )


@lru_cache(maxsize=1024)
def pairwise_model(kinds: tuple[str, ...], rationale_chars: int = RATIONALE_MAX_CHARS) -> type[BaseModel]:
    t = _scores_type(kinds)
    return create_model(
        "PairwiseReply", __base__=_Reply, **_rationale(rationale_chars),
        rollout_A_scores=(t, ...), rollout_B_scores=(t, ...),
    )  # fmt: skip


@lru_cache(maxsize=1024)
def group_model(kinds: tuple[str, ...], n: int, rationale_chars: int = RATIONALE_MAX_CHARS) -> type[BaseModel]:
    """group mode: ``scores`` holds exactly ``n`` score lists, each of the rubric's shape."""
    t = _scores_type(kinds)
    return create_model(
        "GroupReply", __base__=_Reply, **_rationale(rationale_chars), scores=(tuple[(t,) * n], ...)  # type: ignore[misc]
    )


class PerItemReply(_Reply):
    explanation: _Text = ""
    criteria_met: StrictBool


@lru_cache(maxsize=256)
def prior_model(k: int) -> type[BaseModel]:
    return create_model("PriorReply", __base__=_Reply, weights=(tuple[(_Weight,) * k], ...))  # type: ignore[misc]


def _invalid(e: ValidationError, field: str | None = None) -> InvalidReply:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err["loc"]) or "reply"
    if err["type"] == "json_invalid":
        return InvalidReply(f"not JSON ({err['msg']})")
    if err["type"] == "model_type":
        return InvalidReply("expected a JSON object")
    bad = err.get("input")
    got = "" if isinstance(bad, dict) else f", got {bad!r}"[:80]
    return InvalidReply(f"{field or loc}{'' if field is None else '.' + loc}: {err['msg']}{got}")


def validate(model: type[BaseModel], obj: Any) -> BaseModel:
    """``obj`` (a parsed JSON value) as ``model``, or :class:`InvalidReply` naming the first bad field."""
    try:
        return model.model_validate(obj)
    except ValidationError as e:
        raise _invalid(e) from None


def parse_reply(model: type[BaseModel], content: str | None) -> BaseModel:
    """The reply text as ``model`` (a surrounding code fence is tolerated, nothing else)."""
    return validate(model, parse_json_object(content))


# ----------------------------------------------------------------------------- raw body and text


def reply_content(data: Any) -> str | None:
    """The first choice's message content of a raw chat-completions JSON body (shape checked)."""
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise InvalidReply("reply is not a chat completion (no choices[0].message.content)") from None
    if content is not None and not isinstance(content, str):
        raise InvalidReply(f"message content: expected a string, got {type(content).__name__}")
    return content


def parse_json_object(content: str | None) -> dict[str, Any]:
    """The reply's JSON object (a surrounding code fence is tolerated, nothing else)."""
    if not isinstance(content, str) or not content.strip():
        raise InvalidReply("empty reply")
    m = _FENCE.match(content)
    text = m.group(1) if m else content.strip()
    try:  # a raw newline or tab inside a string (a rationale) is read as written; the scores stay strict
        obj = json.loads(text, strict=False)
    except json.JSONDecodeError as e:
        raise InvalidReply(f"not JSON ({e.msg} at {e.pos})") from None
    if not isinstance(obj, dict):
        raise InvalidReply(f"expected a JSON object, got {type(obj).__name__}")
    return obj


# ----------------------------------------------------------------------------- the validators by shape


def validate_scores(value: Any, kinds: Sequence[str], field: str = "scores") -> list[Score]:
    if not isinstance(value, list):
        raise InvalidReply(f"{field}: expected a list, got {type(value).__name__}")
    if len(value) != len(kinds):
        raise InvalidReply(f"{field}: {len(value)} scores for {len(kinds)} criteria")
    reply = validate(rubric_model(tuple(kinds)), {"scores": value})
    return list(reply.scores)  # type: ignore[attr-defined]


def validate_rubric_reply(obj: dict[str, Any], kinds: Sequence[str]) -> dict[str, Any]:
    r = validate(rubric_model(tuple(kinds)), obj)
    return {"scores": list(r.scores), "rationale": getattr(r, "rationale", None) or ""}  # type: ignore[attr-defined]


def validate_pairwise_reply(obj: dict[str, Any], kinds: Sequence[str]) -> dict[str, Any]:
    r = validate(pairwise_model(tuple(kinds)), obj)
    return {
        "a": list(r.rollout_A_scores),  # type: ignore[attr-defined]
        "b": list(r.rollout_B_scores),  # type: ignore[attr-defined]
        "rationale": getattr(r, "rationale", None) or "",
    }


def validate_per_item_reply(obj: dict[str, Any]) -> dict[str, Any]:
    r = validate(PerItemReply, obj)
    return {"met": r.criteria_met, "rationale": r.explanation or ""}  # type: ignore[attr-defined]


def validate_prior_reply(obj: dict[str, Any], k: int) -> dict[str, Any]:
    r = validate(prior_model(k), obj)
    return {"weights": [float(x) for x in r.weights]}  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- schemas and response_format


def _tidy(node: Any) -> Any:
    """Pydantic's schema, made portable for constrained decoders: no titles/defaults, a nullable
    string as a plain string, every property required and no other property allowed."""
    if isinstance(node, list):
        return [_tidy(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _tidy(v) for k, v in node.items() if k not in ("title", "default")}
    any_of = out.get("anyOf")
    if isinstance(any_of, list) and {"type": "null"} in any_of and len(any_of) == 2:
        rest = next(x for x in any_of if x != {"type": "null"})
        out.pop("anyOf")
        out = {**rest, **out}
    if out.get("type") == "object" and "properties" in out:
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema a constrained decoder needs to produce exactly ``model``'s shape."""
    return _tidy(model.model_json_schema())


def reply_chars(schema: dict[str, Any]) -> int | None:
    """The most characters a compact reply under ``schema`` (as :func:`json_schema` makes it) can
    take, plus one optional space per separator (llama.cpp's grammar allows one); None when
    unbounded (a string without ``maxLength``, an array without ``maxItems``). A string character
    counts once (an escaped one takes more, rare in a rationale)."""
    if "enum" in schema:
        return max(len(json.dumps(v)) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "boolean":
        return 5
    if kind == "integer":
        return 20
    if kind == "number":
        return 24
    if kind == "string":
        n = schema.get("maxLength")
        return None if n is None else 2 + int(n)
    if kind == "array":
        items = schema.get("prefixItems")
        if items is None:
            item, n = schema.get("items"), schema.get("maxItems")
            if not isinstance(item, dict) or n is None:
                return None
            items = [item] * int(n)
        sizes = [reply_chars(x) for x in items]
        return None if None in sizes else 2 + sum(sizes) + 2 * len(sizes)  # type: ignore[arg-type]
    if kind == "object":
        props = schema.get("properties", {})
        sizes = [reply_chars(v) for v in props.values()]
        if None in sizes:
            return None
        return 2 + sum(s + len(json.dumps(k)) + 4 for s, k in zip(sizes, props, strict=True))  # type: ignore[operator]
    return None


@lru_cache(maxsize=1024)
def max_reply_chars(model: type[BaseModel]) -> int | None:
    """:func:`reply_chars` of ``model``'s schema (cached: reply models are cached classes)."""
    return reply_chars(json_schema(model))


def response_format(json_mode: JsonMode, dialect: Dialect, model: type[BaseModel]) -> dict[str, Any] | None:
    """``response_format`` for a JSON-mode request, in the server's spelling (None: send none)."""
    if json_mode is JsonMode.off:
        return None
    if json_mode is JsonMode.json_object:
        return {"type": "json_object"}
    schema = json_schema(model)
    if dialect is Dialect.llamacpp:
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": model.__name__, "schema": schema, "strict": True}}
