"""The harness's own layout, OpenRubrics and RaR (their parsers live in ``core.rubric``) in the registry."""

from __future__ import annotations

from core.layouts import Context, Layout, register
from core.rubric import from_harness, from_openrubrics, from_rar, warn_pitfall_contradictions


def _rar(row, n, ctx: Context):
    found = ctx.notes.setdefault("contradictions", [])
    return from_rar(row, ctx.source, n, ctx.options.pitfall_polarity, found)


def _rar_finish(ctx: Context, examples) -> None:
    total = sum("rar:pitfall" in c.tags for e in examples for c in e.rubric.criteria)
    warn_pitfall_contradictions(ctx.source, ctx.options.pitfall_polarity, ctx.notes.get("contradictions", []), total)


register(Layout("harness", lambda row, n, ctx: from_harness(row, ctx.source, n),
                ("id", "prompt", "rubric.0.text", "rubric.0.kind")))
register(Layout("openrubrics", lambda row, n, ctx: from_openrubrics(row, ctx.source, n),
                ("prompt|instruction", "rubric:str")))
register(Layout("rar", _rar, ("question|prompt", "rubric.0.description", "rubric.0.weight"), finish=_rar_finish))
