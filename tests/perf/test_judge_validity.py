"""perf/judge_validity.py's parts: the frozen v2 request, the failure classes and the agreement table."""

from __future__ import annotations

import json

from core.rubric import Criterion, Rubric
from evals.judges.base import JudgeRequest
from evals.judges.openai_judge import OpenAIJudge
from evals.judges.replies import json_schema, rubric_model
from perf.judge_validity import agreement, classify, v2_body

RUBRIC = Rubric(criteria=(Criterion(text="a", kind="hard_rule"), Criterion(text="b", kind="principle")))


def _reply(content: str, finish: str = "stop") -> dict:
    return {"choices": [{"message": {"content": content}, "finish_reason": finish}]}


def test_v2_body_puts_the_count_line_after_the_response_and_drops_the_enum():
    j = OpenAIJudge(base_url="http://127.0.0.1:9/v1", require_api_key=False, mode="rubric",
                    json_mode="json_schema", dialect="llamacpp", max_tokens=256)  # fmt: skip
    try:
        _, old = v2_body(j, JudgeRequest("q", RUBRIC, "the answer"), enum=False)
        _, fixed = v2_body(j, JudgeRequest("q", RUBRIC, "the answer"), enum=True)
        new_model, new = j.protocol.body(JudgeRequest("q", RUBRIC, "the answer"))
    finally:
        j.close()
    user = old["messages"][1]["content"]
    assert user.endswith('<response>\nthe answer\n</response>\n\nThe rubric has 2 criteria: "scores" must have exactly 2 entries.')
    assert sorted(user.split("\n\n")) == sorted(new["messages"][1]["content"].split("\n\n"))  # same sections
    assert "enum" not in json.dumps(old["response_format"]) and "enum" in json.dumps(fixed["response_format"])
    assert old["max_tokens"] == 256 and fixed["response_format"] == new["response_format"]
    assert json_schema(new_model) == json_schema(rubric_model(("hard_rule", "principle")))


def test_classify_names_why_a_reply_failed():
    model = rubric_model(("hard_rule", "principle"))
    assert classify(_reply('{"rationale": "", "scores": [true, 7]}'), model) == ("valid", [True, 7])
    assert classify(_reply('{"rationale": "", "scores": [true, 23]}'), model)[0] == "score out of range"
    assert classify(_reply('{"rationale": "', "length"), model)[0] == "cut at max_tokens"
    assert classify(_reply('{"scores": [true]}'), model)[0].startswith("other: ")


def test_agreement_counts_only_requests_valid_in_both():
    kinds = [("hard_rule", "principle")] * 3
    a = [[True, 7], [False, 3], None]
    b = [[True, 9], [True, 3], [True, 1]]
    assert agreement(kinds, a, b) == (2, "50% of 2", "50% of 2", "100% of 2")


def test_group_variants_send_one_request_a_row_and_give_verdicts_per_rollout():
    from evals.judges.replies import group_model
    from perf.judge_validity import batches, per_rollout

    reqs = [JudgeRequest(q, RUBRIC, f"answer {g}") for q in ("q1", "q2") for g in range(3)]
    assert [len(b) for b in batches("group", reqs, 3)] == [3, 3]
    assert batches("rubric", reqs, 3) == [[r] for r in reqs]
    model = group_model(("hard_rule", "principle"), 2)
    kind, sc = classify(_reply('{"rationale": "", "scores": [[true, 7], [false, 3]]}'), model)
    assert kind == "valid" and per_rollout(sc, 2) == [[True, 7], [False, 3]]
    assert classify(_reply('{"rationale": "", "scores": [[true, 7]]}'), model)[0].startswith("other: ")
    assert per_rollout(None, 2) == [None, None] and per_rollout([True, 7], 1) == [[True, 7]]
