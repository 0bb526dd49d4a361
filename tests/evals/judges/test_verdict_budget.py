"""Why paper_mini's in-loop verdicts were invalid, and what keeps them valid (issue 38, items 0 and 2).

Measured (perf/judge_validity.py): llama.cpp's schema-to-grammar converter ignores ``minimum`` /
``maximum``, so SmolLM2 under the grammar wrote criterion numbers (11, 20, 23) as Principle
scores. The schema now also spells the range as ``enum``; a constrained request's
``max_tokens`` is at least the longest reply the schema admits; the rationale is a bounded
option (``rationale_chars``, 0 = none); the rollout is the last section of the prompt.
"""

from __future__ import annotations

import json

import pytest

from core.rubric import Criterion, Rubric
from evals.judges import prompts
from evals.judges.base import JudgeRequest
from evals.judges.openai_judge import JudgeConfigError, OpenAIJudge
from evals.judges.replies import json_schema, pairwise_model, reply_chars, rubric_model

KINDS_23 = ("hard_rule", "principle") * 11 + ("hard_rule",)


def _longest_reply(schema: dict) -> str:
    """A reply under ``schema`` with every value at its longest (booleans false, integers 10)."""

    def fill(node: dict):
        if "enum" in node:
            return max(node["enum"], key=lambda v: len(json.dumps(v)))
        t = node["type"]
        if t == "boolean":
            return False
        if t == "string":
            return "x" * node["maxLength"]
        if t == "array":
            return [fill(x) for x in node["prefixItems"]]
        return {k: fill(v) for k, v in node["properties"].items()}

    return json.dumps(fill(schema), separators=(", ", ": "))


def test_principle_positions_are_an_enum_of_0_to_10():
    arr = json_schema(rubric_model(("hard_rule", "principle")))["properties"]["scores"]["prefixItems"]
    assert arr[0] == {"type": "boolean"}
    assert arr[1]["enum"] == list(range(11)) and (arr[1]["minimum"], arr[1]["maximum"]) == (0, 10)


@pytest.mark.parametrize("rationale", [200, 40, 0])
@pytest.mark.parametrize("make", [rubric_model, pairwise_model])
def test_reply_chars_bounds_the_longest_reply(make, rationale):
    schema = json_schema(make(KINDS_23, rationale))
    longest = _longest_reply(schema)
    assert len(longest) <= reply_chars(schema) <= len(longest) + 64
    assert ("rationale" in schema["properties"]) == (rationale > 0)


def test_reply_chars_is_none_when_unbounded():
    assert reply_chars({"type": "string"}) is None
    assert reply_chars({"type": "array", "items": {"type": "boolean"}}) is None


def _rubric(k: int) -> Rubric:
    return Rubric(criteria=tuple(Criterion(text=f"criterion {i}", kind=kind) for i, kind in enumerate(KINDS_23[:k])))


def test_a_constrained_request_asks_for_at_least_the_longest_reply(make_judge, server):
    j = make_judge(mode="rubric", json_mode="json_schema", dialect="llamacpp", max_tokens=256, cache=False)
    out = j.judge([JudgeRequest("q", _rubric(23), "an answer"), JudgeRequest("q", _rubric(2), "an answer")])
    assert all(o.unscorable == 0 for o in out)
    sent = {e["messages"][1]["content"].count('"criterion"'): e["max_tokens"] for e in server.log}  # sent concurrently
    assert sent[23] == reply_chars(json_schema(rubric_model(KINDS_23))) > 256  # 23 criteria + rationale
    assert sent[2] == 256  # a short reply keeps the configured budget
    make_judge(mode="rubric", json_mode="json_object", max_tokens=256, cache=False).judge(
        [JudgeRequest("q", _rubric(23), "x")]
    )
    assert server.log[-1]["max_tokens"] == 256  # no schema, no bound: the configured value


@pytest.mark.parametrize("mode", ["rubric", "pairwise"])
def test_no_rationale_asks_for_the_scores_alone(make_judge, server, requests_, mode):
    j = make_judge(mode=mode, json_mode="json_schema", rationale_chars=0, cache=False)
    out = j.judge(requests_)
    assert all(o.unscorable == 0 for o in out)
    entry = server.log[0]
    schema = entry["response_format"]["json_schema"]["schema"]
    assert "rationale" not in schema["properties"] and "rationale" not in entry["messages"][0]["content"]
    version = prompts.versioned(prompts.VERSIONS[mode], 0)
    assert version.endswith("+rationale0") and all(o.prompt_version == version for o in out)
    assert OpenAIJudge.prompt_version_of(mode=mode, rationale_chars=0) == version
    assert OpenAIJudge.prompt_version_of(mode=mode) == prompts.VERSIONS[mode]


def test_rationale_chars_must_not_be_negative():
    with pytest.raises(JudgeConfigError, match="rationale_chars"):
        OpenAIJudge(base_url="http://127.0.0.1:9/v1", require_api_key=False, rationale_chars=-1)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_the_rollout_is_last_so_a_group_shares_everything_before_it():
    rb = _rubric(5)
    a = prompts.rubric_messages("question?", rb, "first rollout")
    b = prompts.rubric_messages("question?", rb, "second rollout")
    assert a[0] == b[0]  # the system message is constant
    shared = _common_prefix(a[1]["content"], b[1]["content"])
    assert shared.endswith("<response>\n") and "The rubric has 5 criteria" in shared
    assert a[1]["content"].endswith("first rollout\n</response>")
    system, p = (m["content"] for m in prompts.pairwise_messages("question?", rb, "A text", "B text"))
    assert "The length of each score list must equal 5" in system  # E.1 gives the count in its requirements
    assert p.index("<rubric>") < p.index("<rollout_A>") < p.index("<rollout_B>")
    assert p.endswith("B text\n</rollout_B>")
    parsed = prompts.parse_prompt(prompts.rubric_messages("question?", rb, "x", rationale=False))
    assert parsed["mode"] == "rubric" and parsed["responses"] == ["x"] and len(parsed["rubric"]) == 5
