"""The harness's own layout, OpenRubrics and RaR.

harness: ``{id, prompt, rubric: [Criterion...], meta}`` as the schema has it. OpenRubrics: numbered
rubric text whose items end in ``[Hard Rule]`` or ``[Principle]``. RaR: ``rubric`` = [{title,
description, weight}] with Essential / Important / Optional / Pitfall categories.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from core.layouts import Context, Layout, register
from core.rubric import Example, RubricFormatError, build_example, item_number, item_text, object_items

log = logging.getLogger(__name__)


def _require(source: str, n: int, row: dict, *names: str) -> Any:
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    raise RubricFormatError(source, n, names[0], "missing")



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


def from_openrubrics(row: dict[str, Any], n: int, ctx: Context) -> Example:
    source = ctx.source
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


def from_rar(row: dict[str, Any], n: int, ctx: Context) -> Example:
    """RaR rows: ``rubric`` is a list of {title, description, weight}; pitfalls carry negative weight.

    Essential items become hard rules, the rest principles; the category goes into the tags.
    ``data.pitfall_polarity`` says what a pitfall's text means when met: ``present`` (the text names the
    mistake, e.g. "Recommends waiting"; the weight stays negative and the score is flipped later) or
    ``absent`` (the text names the good behaviour, e.g. "Does not recommend waiting"; the weight
    becomes positive, tagged ``rar:pitfall``). Pitfalls whose wording reads the other way are
    collected as (row, item, text) for one warning per file (``finish_rar``).
    """
    source, pitfall_polarity = ctx.source, str(ctx.options.pitfall_polarity)
    contradictions = ctx.notes.setdefault("contradictions", [])
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
            if pitfall_wording(body) != pitfall_polarity:
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


def from_harness(row: dict[str, Any], n: int, ctx: Context) -> Example:
    """The harness's own JSONL: ``{id, prompt, rubric: [Criterion...], meta}``."""
    return build_example(ctx.source, n, row)


def finish_rar(ctx: Context, examples: list[Example]) -> None:
    total = sum("rar:pitfall" in c.tags for e in examples for c in e.rubric.criteria)
    warn_pitfall_contradictions(ctx.source, ctx.options.pitfall_polarity, ctx.notes.get("contradictions", []), total)


register(Layout("harness", from_harness, ("id", "prompt", "rubric.0.text", "rubric.0.kind")))
register(Layout("openrubrics", from_openrubrics, ("prompt|instruction", "rubric:str")))
register(Layout("rar", from_rar, ("question|prompt", "rubric.0.description", "rubric.0.weight"), finish=finish_rar))
