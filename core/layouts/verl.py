"""The verl rubric layout: RubricHub_v1 (sojuL/RubricHub_v1) and RuscaRL's HealthBench parquet.

A row: ``prompt`` (chat messages), ``data_source``, ``ability``, ``reward_model`` =
{``ground_truth``, ``style``, ``rubrics``: [{``criterion``, ``points``, ``tags``}]} and
``extra_info`` (not read: RuscaRL copies the prompt and rubric into it). ``tags`` is RubricHub's
{``function``, ``parameters``, ``verifier``: llm | rule} or RuscaRL's HealthBench tag list
(``axis:...``). Kinds: a ``rule`` whose function maps to an IFEval check is a Hard Rule with that
check (core.layouts.ifeval); an LLM-judged item is ``data.judged_kind``; an unknown function is
LLM-judged only with ``data.unknown_rules=llm``, else the file fails listing every unknown
function with its count. Points keep their sign (negative = penalty).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from core.layouts import Context, Layout, register, tag_value
from core.layouts.ifeval import IFEVAL, ifeval_check
from core.rubric import (
    Criterion,
    Example,
    RubricFormatError,
    build_example,
    field_of,
    object_items,
)

VERIFIERS = ("llm", "rule")
TAGS = "a list of strings or {function, parameters, verifier}"


def _whole(v: Any) -> Any:
    """RubricHub stores counts as floats (3.0); IFEval indexes lists with some of them."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _rule_text(criterion: str, params: dict[str, Any]) -> str:
    """A rule's criterion is its instruction id ("last_word:last_word_sent"); with its arguments it reads as one."""
    args = ", ".join(f"{k}={v!r}" for k, v in sorted(params.items()))
    return f"Follows the instruction {criterion}" + (f" ({args})" if args else "")


def _tags(ctx: Context, tags: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple per distinct tag set: millions of criteria share a few tag strings."""
    shared = ctx.notes.setdefault("tags", {})
    return shared.setdefault(tags, tags)


def _rule(raw: dict[str, Any], text: str, tags: tuple[str, ...], src: str, n: int, where: str,
          ctx: Context) -> tuple[str, str, tuple[str, ...], dict[str, Any] | None]:
    """(text, kind, tags, check) of a ``verifier: rule`` item."""
    fn = raw.get("function")
    if not isinstance(fn, str) or not fn:
        raise RubricFormatError(src, n, f"{where}.tags.function", "a rule needs its checker's function name")
    params = raw.get("parameters") or {}  # "" in RubricHub's files without rules
    if not isinstance(params, dict):
        raise RubricFormatError(src, n, f"{where}.tags.parameters", "expected an object of the checker's arguments")
    params = {p: _whole(v) for p, v in params.items() if v is not None}
    tags += (f"function:{fn}",)
    check, kind = None, ctx.options.judged_kind
    if fn in IFEVAL:
        check = ifeval_check(fn, params)
        if isinstance(check, str):
            raise RubricFormatError(src, n, f"{where}.tags.parameters", check)
        kind, tags = "hard_rule", tags + ("verifier:rule",)
    elif ctx.options.unknown_rules == "llm":
        tags += ("verifier:llm_for_rule",)
    else:
        ctx.unknown_rules[fn] += 1
        ctx.first_unknown.setdefault(fn, (src, n))
    return _rule_text(text, params), kind, tags, check


def _criterion(item: dict[str, Any], k: int, n: int, ctx: Context, row_tags: tuple[str, ...]) -> Criterion:
    src = ctx.source
    text, points, raw = item.get("criterion"), item.get("points"), item.get("tags")
    if not isinstance(text, str) or not text.strip():
        raise RubricFormatError(src, n, f"reward_model.rubrics.{k}.criterion", "missing or blank")
    if isinstance(points, bool) or not isinstance(points, (int, float)):  # noqa: UP038 (a tuple: no Union built per call)
        raise RubricFormatError(src, n, f"reward_model.rubrics.{k}.points", "expected a number")
    tags, check, kind = row_tags, None, ctx.options.judged_kind
    if isinstance(raw, list):  # RuscaRL / HealthBench: tag strings
        if not all(isinstance(t, str) for t in raw):
            raise RubricFormatError(src, n, f"reward_model.rubrics.{k}.tags", f"expected {TAGS}")
        tags, raw = tags + tuple(raw), {}
    elif raw is None:
        raw = {}
    elif not isinstance(raw, dict):
        raise RubricFormatError(src, n, f"reward_model.rubrics.{k}.tags", f"expected {TAGS}")
    verifier = raw.get("verifier") or "llm"
    if verifier == "llm":
        tags += ("verifier:llm",)
        kind = ctx.options.judged_kind_of(tags)
    elif verifier == "rule":
        text, kind, tags, check = _rule(raw, text, tags, src, n, f"reward_model.rubrics.{k}", ctx)
    else:
        raise RubricFormatError(src, n, f"reward_model.rubrics.{k}.tags.verifier",
                                f"expected one of {list(VERIFIERS)}, got {verifier!r}")
    # no check=None: pydantic keeps a set of the fields given, and a fifth one grows it from 216 to 728 bytes
    fields = {"text": text, "kind": kind, "tags": _tags(ctx, tags), "points": float(points)}
    if check is not None:
        fields["check"] = check
    try:
        return Criterion(**fields)
    except ValidationError as e:
        field, why = field_of(e)
        raise RubricFormatError(src, n, f"reward_model.rubrics.{k}.{field}", why) from None


def from_verl(row: dict[str, Any], n: int, ctx: Context) -> Example | None:
    src = ctx.source
    ability, data_source = row.get("ability"), row.get("data_source")
    wanted = ctx.options.abilities
    if wanted is not None and not ({tag_value(ability), tag_value(data_source)} & {tag_value(a) for a in wanted}):
        ctx.notes.setdefault("abilities_seen", set()).add(str(ability))
        return None
    prompt = row.get("prompt")
    if not isinstance(prompt, list | str) or not prompt:
        raise RubricFormatError(src, n, "prompt", "expected a list of chat messages {role, content}")
    if isinstance(prompt, list):  # parquet keeps null struct fields (this layout reads them as absent)
        prompt = [{k: v for k, v in m.items() if v is not None} if isinstance(m, dict) else m for m in prompt]
    rm = row.get("reward_model")
    if not isinstance(rm, dict):
        raise RubricFormatError(src, n, "reward_model", "expected {ground_truth, rubrics, style}")
    rubrics = rm.get("rubrics")
    if not isinstance(rubrics, list) or not rubrics:
        raise RubricFormatError(src, n, "reward_model.rubrics", "expected a non-empty list of {criterion, points, tags}")
    row_tags = tuple(f"{name}:{tag_value(v)}" for name, v in (("ability", ability), ("data_source", data_source))
                     if isinstance(v, str) and v)
    items = [_criterion(item, k, n, ctx, row_tags) for k, item in object_items(rubrics, src, n, "reward_model.rubrics")]
    rid = str(row.get("id") or f"{tag_value(data_source or 'verl')}-{n}")  # the row, the same in parquet and jsonl
    meta = {"format": "verl", "data_source": data_source, "ability": ability}
    return build_example(src, n, {"id": rid, "prompt": prompt, "rubric": items,
                                  "meta": {k: v for k, v in meta.items() if v is not None}})


def _finish(ctx: Context, examples: list[Example]) -> None:
    if ctx.unknown_rules:
        listed = ", ".join(f"{fn} ({c})" for fn, c in ctx.unknown_rules.most_common())
        source, row = next(iter(ctx.first_unknown.values()))
        raise RubricFormatError(source, row, "reward_model.rubrics.tags.function",
                                f"{sum(ctx.unknown_rules.values())} rule criteria use functions the rules judge "
                                f"does not know: {listed}; set data.unknown_rules=llm to have the LLM judge them")
    if ctx.options.abilities is not None and not examples:
        seen = sorted(ctx.notes.get("abilities_seen", ()))
        raise RubricFormatError(ctx.source, None, "ability",
                                f"data.abilities={list(ctx.options.abilities)} keeps no row (abilities present: {seen})")


register(Layout("verl", from_verl, ("prompt", "reward_model.rubrics.0.criterion", "reward_model.rubrics.0.points"),
                columns=("prompt", "data_source", "ability", "reward_model", "id"), finish=_finish, nulls=True))
