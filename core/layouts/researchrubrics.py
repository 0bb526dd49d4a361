"""ResearchRubrics (``ScaleAI/researchrubrics``): deep-research prompts with weighted rubrics.

A row: ``prompt`` (text), ``sample_id``, ``domain``, ``rubrics`` = [{``criterion``, ``weight``
in -5..5, ``axis``}] plus difficulty labels (``conceptual_breadth``, ``logical_nesting``,
``exploration``). About 12 % of items have a negative weight: the item names the bad
behaviour, so the weight stays negative (a penalty when met). Items are LLM-judged
(``data.judged_kind``); tags ``axis:``, ``domain:`` group the report and per-rubric saturation.
"""

from __future__ import annotations

from typing import Any

from core.layouts import Context, Layout, register, tag_value
from core.rubric import Example, RubricFormatError, build_example, item_number, item_text, object_items

LABELS = ("domain", "conceptual_breadth", "logical_nesting", "exploration")


def from_researchrubrics(row: dict[str, Any], n: int, ctx: Context) -> Example:
    src = ctx.source
    prompt = row.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise RubricFormatError(src, n, "prompt", "expected the research request as text")
    rubrics = row.get("rubrics")
    if not isinstance(rubrics, list) or not rubrics:
        raise RubricFormatError(src, n, "rubrics", "expected a non-empty list of {criterion, weight, axis}")
    domain = row.get("domain")
    row_tags = [f"domain:{tag_value(domain)}"] if isinstance(domain, str) and domain else []
    items = []
    for k, item in object_items(rubrics, src, n, "rubrics"):
        axis = item.get("axis")
        tags = row_tags + ([f"axis:{tag_value(axis)}"] if isinstance(axis, str) and axis else [])
        items.append({"text": item_text(item, "criterion", src, n, f"rubrics.{k}"), "kind": ctx.options.judged_kind_of(tags),
                      "weight": item_number(item, "weight", src, n, f"rubrics.{k}"), "tags": tags})
    rid = str(row.get("sample_id") or f"researchrubrics-{n}")
    meta = {"format": "researchrubrics", **{k: row[k] for k in LABELS if isinstance(row.get(k), str)}}
    return build_example(src, n, {"id": rid, "prompt": prompt, "rubric": items, "meta": meta})


register(Layout("researchrubrics", from_researchrubrics, ("prompt", "rubrics.0.criterion", "rubrics.0.weight"),
                columns=("prompt", "sample_id", "rubrics", *LABELS)))
