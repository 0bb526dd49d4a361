"""HealthBench rows as training data (simple-evals JSONL, ``openai/healthbench``).

A row: ``prompt`` (a conversation), ``rubrics`` = [{``criterion``, ``points``, ``tags``}]
(negative points = a penalty when met), ``example_tags``, ``prompt_id``. Every item is
LLM-judged, so its kind is ``data.judged_kind``; a harness ``check`` on an item (the bundled
fixture's) is kept so the rules judge can score it. The evaluation benchmark reads the same
rows in ``evals.benchmarks.healthbench``; ``data.exclude_path`` keeps the two apart.
"""

from __future__ import annotations

from typing import Any

from core.layouts import Context, Layout, register
from core.rubric import Example, RubricFormatError, build_example, item_number, item_text, object_items


def from_healthbench(row: dict[str, Any], n: int, ctx: Context) -> Example:
    src = ctx.source
    prompt = row.get("prompt")
    if not isinstance(prompt, list | str) or not prompt:
        raise RubricFormatError(src, n, "prompt", "expected a conversation: a list of {role, content}")
    rubrics = row.get("rubrics")
    if not isinstance(rubrics, list) or not rubrics:
        raise RubricFormatError(src, n, "rubrics", "expected a non-empty list of {criterion, points, tags}")
    items = []
    for k, item in object_items(rubrics, src, n, "rubrics"):
        tags = item.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise RubricFormatError(src, n, f"rubrics.{k}.tags", "expected a list of strings")
        c: dict[str, Any] = {"text": item_text(item, "criterion", src, n, f"rubrics.{k}"),
                             "kind": ctx.options.judged_kind_of(tags),
                             "points": item_number(item, "points", src, n, f"rubrics.{k}"), "tags": tags}
        if item.get("check") is not None:
            c["check"] = item["check"]
        items.append(c)
    etags = row.get("example_tags") or []
    if not isinstance(etags, list):
        raise RubricFormatError(src, n, "example_tags", "expected a list of strings")
    rid = str(row.get("prompt_id") or f"healthbench-{n}")
    return build_example(src, n, {"id": rid, "prompt": prompt, "rubric": items,
                                  "meta": {"format": "healthbench", "example_tags": list(etags)}})


register(Layout("healthbench", from_healthbench, ("prompt", "rubrics.0.criterion", "rubrics.0.points"),
                columns=("prompt", "rubrics", "example_tags", "prompt_id")))
