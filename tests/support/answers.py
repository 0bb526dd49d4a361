"""What the loopback judge server answers to a parsed judge prompt, a fault applied (see
``tests.support.testserver``): prior weights, per-item verdicts, rubric / pairwise / group scores."""

from __future__ import annotations

from typing import Any

from core.rubric import Rubric
from tests.support.faults import Fault, corrupt
from tests.support.scoring import Scorer


def content(
    scorer: Scorer, mode: str, q: str, rubric: Rubric, resp: list[str], fault: Fault | None
) -> dict[str, Any] | str:
    """The reply content as an object, or a raw string (the malformed fault; logprob mode: see logprobs())."""
    kind = fault.kind if fault else None
    if mode.startswith("logprob"):
        return ""  # the reply is its logprobs (see JudgeTestServer.logprobs())
    if kind == "malformed":
        return '{"rationale": "oops", "scores": [true, 7'
    if mode == "prior":
        raw = [2.0 if c.kind == "hard_rule" else 1.0 for c in rubric.criteria]
        weights: list[Any] = [w / sum(raw) for w in raw]
        if kind == "wrong_length":
            weights.append(0.0)
        elif kind in ("out_of_range", "float_score", "string_score"):
            weights[0] = "x"
        elif kind == "negative_weight":
            weights[0] = -abs(weights[0])
        elif kind == "unnormalized":
            weights = [2 * w for w in weights]
        return {"weights": weights}
    if mode == "per_item":
        met = scorer(q, rubric, resp[0])[0]
        met = bool(met) if isinstance(met, bool) else met >= 5
        value: Any = "yes" if kind in ("out_of_range", "string_score", "float_score", "wrong_length") else met
        return {"explanation": "loopback rules judge", "criteria_met": value}
    lists = [list(scorer(q, rubric, r)) for r in resp]
    for scores in lists[:1]:
        corrupt(scores, rubric, kind)
    if mode == "rubric":
        return {"rationale": "loopback rules judge", "scores": lists[0]}
    if mode == "group":
        if kind == "wrong_count":
            lists = lists[:-1] if len(lists) > 1 else lists + [list(lists[0])]
        return {"rationale": f"loopback rules judge ({len(resp)} responses)", "scores": lists}
    return {
        "rationale": "loopback rules judge (A vs B)",
        "rollout_A_scores": lists[0],
        "rollout_B_scores": lists[1],
    }
