"""``judge.mode=group``: the rollouts of one prompt in one call, against the real loopback server.

Requests with one (question, rubric) share a call (at most ``group_size`` responses), the
Judgments keep the requests' order, a bad reply makes its own call's judgments None (counted),
and the verdict cache answers a rerun but not a call made under another grouping.
"""

from __future__ import annotations

import json

import pytest

from core.rubric import Criterion, Rubric
from evals.judges import prompts
from evals.judges.base import JudgeRequest
from evals.judges.openai_judge import JudgeConfigError, OpenAIJudge
from evals.judges.probe import probe_judge
from evals.judges.protocols.group import GroupProtocol, chunks
from evals.judges.replies import group_model, json_schema, reply_chars

from .conftest import QUESTION
from .test_openai_judge import expected

OTHER = "Name the largest planet of the solar system."
ANSWERS = [
    "The capital of France is Paris.",
    "London is the capital.",
    "Paris, of course.",
    "I think it is Lyon, not London.",
    "Paris is the capital of France, and a friendly city.",
]


@pytest.fixture
def group(rubric: Rubric) -> list[JudgeRequest]:
    return [JudgeRequest(QUESTION, rubric, a) for a in ANSWERS]


def _calls(server) -> list[list[str]]:
    """The responses each group call carried, in arrival order."""
    from evals.judges.prompts import parse_prompt

    return [parse_prompt(e["messages"])["responses"] for e in server.log if e.get("mode") == "group"]


def test_one_call_per_question_and_rubric_in_the_requests_order(make_judge, server, rubric):
    other = Rubric(criteria=(Criterion(text="Names Jupiter", kind="hard_rule"),))
    reqs = [
        JudgeRequest(QUESTION, rubric, ANSWERS[0]),
        JudgeRequest(OTHER, other, "Jupiter."),
        JudgeRequest(QUESTION, rubric, ANSWERS[1]),
        JudgeRequest(OTHER, other, "Saturn."),
        JudgeRequest(QUESTION, rubric, ANSWERS[2]),
    ]
    j = make_judge(mode="group")
    out = j.judge(reqs)
    assert [o.scores for o in out] == [expected(r) for r in reqs]
    assert out[1].scores != [None] and out[0].scores[2] is True and out[2].scores[2] is False
    assert server.requests == j.counters["requests"] == 2
    assert sorted(_calls(server)) == sorted(
        [ANSWERS[:3], ["Jupiter.", "Saturn."]]
    )  # order kept inside a call
    assert all(o.prompt_version == prompts.GROUP_VERSION and not o.cached for o in out)
    assert j.counters["prompt_tokens"] > 0 and j.counters["completion_tokens"] > 0  # usage: per HTTP request


def test_a_same_question_with_another_rubric_is_another_group(rubric):
    other = Rubric(criteria=rubric.criteria[:2])
    reqs = [
        JudgeRequest(QUESTION, rubric, "a"),
        JudgeRequest(QUESTION, other, "b"),
        JudgeRequest(QUESTION, rubric, "c"),
    ]
    assert chunks(reqs, 0) == [[0, 2], [1]]
    assert chunks(reqs, 1) == [[0], [2], [1]]


@pytest.mark.parametrize(("size", "calls"), [(0, [5]), (2, [2, 2, 1]), (5, [5]), (9, [5]), (1, [1] * 5)])
def test_group_size_splits_a_group(make_judge, server, group, size, calls):
    out = make_judge(mode="group", group_size=size, cache=False).judge(group)
    assert [o.scores for o in out] == [expected(r) for r in group]
    assert sorted(len(c) for c in _calls(server)) == sorted(calls)  # the calls go out at once: any arrival order
    assert sorted(a for c in _calls(server) for a in c) == sorted(ANSWERS)


def test_a_single_request_is_a_group_of_one(make_judge, server, group):
    (out,) = make_judge(mode="group").judge(group[:1])
    assert out.scores == expected(group[0]) and _calls(server) == [ANSWERS[:1]]
    text = server.log[0]["messages"][1]["content"]
    assert "There is 1 response" in text and text.index("</rubric>") < text.index("<response_1>")


@pytest.mark.parametrize(
    "fault", ["wrong_count", "wrong_length", "malformed", "out_of_range", "string_score"]
)
def test_a_bad_reply_makes_only_its_group_unscorable(make_judge, server, group, fault):
    j = make_judge(mode="group", group_size=2, max_retries=0, cache=False)
    server.inject(fault)  # the first call to arrive gets it
    out = j.judge(group[:4])
    bad = [i for i, o in enumerate(out) if o.scores == [None] * 4]
    assert bad in ([0, 1], [2, 3])  # one whole call, never a part of it
    for i, o in enumerate(out):
        if i not in bad:
            assert o.scores == expected(group[i])
    assert out[bad[0]].rationale.startswith("unscorable") and "InvalidReply" in out[bad[0]].rationale
    assert j.counters["unscorable"] == 1 and j.counters["invalid_replies"] == 1
    assert j.counters["group_unscorable_rollouts"] == 2 and j.counters["requests"] == 2


def test_the_count_check_names_what_is_wrong(make_judge, server, group):
    j = make_judge(mode="group", max_retries=0, cache=False)
    server.inject("wrong_count")
    out = j.judge(group[:3])
    assert all(o.unscorable == 4 for o in out) and "2 lists for 3 responses" in out[0].rationale


def test_a_bad_reply_is_retried_within_bounds_then_none_never_a_score(make_judge, server, group):
    j = make_judge(mode="group", max_retries=2)
    server.inject("wrong_count", "malformed", "wrong_length")
    out = j.judge(group[:3])
    assert all(o.scores == [None] * 4 and o.attempts == 3 for o in out)
    assert server.requests == 3 and j.counters["retries"] == 2 and j.counters["unscorable"] == 1
    server.inject("malformed")  # nothing was cached: the rerun asks again, and one retry makes it valid
    again = j.judge(group[:3])
    assert [o.scores for o in again] == [expected(r) for r in group[:3]] and again[0].attempts == 2


def test_a_rerun_hits_the_cache(make_judge, server, group):
    first = make_judge(mode="group", group_size=2).judge(group)
    n = server.requests
    again = make_judge(mode="group", group_size=2).judge(group)
    assert server.requests == n == 3
    assert [o.scores for o in again] == [o.scores for o in first] and all(o.cached for o in again)


def test_another_grouping_does_not_read_the_verdicts_unless_the_request_is_the_same(
    make_judge, server, group
):
    make_judge(mode="group").judge(group[:3])
    assert server.requests == 1
    make_judge(mode="group", group_size=3).judge(group[:3])  # the same call: the same request
    assert server.requests == 1
    make_judge(mode="group", group_size=2).judge(group[:3])  # [0, 1] and [2]: other requests
    assert server.requests == 3
    make_judge(mode="rubric").judge(group[:1])  # another mode: its own key
    assert server.requests == 4


def test_the_prompt_version_is_in_the_key(make_judge, server, group, monkeypatch):
    make_judge(mode="group").judge(group[:2])
    monkeypatch.setattr(GroupProtocol, "version", prompts.GROUP_VERSION + "-next")
    out = make_judge(mode="group").judge(group[:2])
    assert server.requests == 2 and out[0].prompt_version == "group-v1-next" and not out[0].cached


def test_the_prompt_version_names_the_mode_and_the_rationale():
    assert OpenAIJudge.prompt_version_of(mode="group") == "group-v1"
    assert OpenAIJudge.prompt_version_of(mode="group", rationale_chars=0) == "group-v1+rationale0"
    with pytest.raises(JudgeConfigError, match="group_size"):
        OpenAIJudge(base_url="http://127.0.0.1:9/v1", require_api_key=False, mode="group", group_size=-1)


@pytest.mark.parametrize("dialect", ["openai", "llamacpp"])
def test_structured_outputs_one_scores_list_per_response(make_judge, server, group, dialect):
    j = make_judge(mode="group", json_mode="json_schema", dialect=dialect, max_tokens=16, cache=False)
    out = j.judge(group[:3])
    assert [o.scores for o in out] == [expected(r) for r in group[:3]]
    fmt = server.log[0]["response_format"]
    schema = fmt["schema"] if dialect == "llamacpp" else fmt["json_schema"]["schema"]
    lists = schema["properties"]["scores"]
    assert lists["minItems"] == lists["maxItems"] == 3 and len(lists["prefixItems"]) == 3
    for item in lists["prefixItems"]:
        assert [x.get("type") for x in item["prefixItems"]] == ["boolean", "integer", "boolean", "integer"]
        assert item["prefixItems"][1]["enum"] == list(range(11))  # the range llama.cpp's grammar enforces
    assert schema["properties"]["rationale"]["maxLength"] == 200
    model = group_model(tuple(group[0].rubric.kinds), 3)
    assert server.log[0]["max_tokens"] == reply_chars(json_schema(model)) > 16  # no reply can be cut off


def test_json_object_mode_and_no_rationale(make_judge, server, group):
    make_judge(mode="group", cache=False).judge(group[:2])
    assert server.log[0]["response_format"] == {"type": "json_object"}
    j = make_judge(mode="group", json_mode="json_schema", rationale_chars=0, cache=False)
    out = j.judge(group[:2])
    assert [o.scores for o in out] == [expected(r) for r in group[:2]]
    assert server.log[1]["messages"][0]["content"] == prompts.GROUP_SCORES_ONLY_SYSTEM != prompts.GROUP_SYSTEM
    assert "rationale" not in json.dumps(server.log[1]["response_format"])
    assert out[0].prompt_version == "group-v1+rationale0"


def test_the_prompt_puts_the_shared_part_first_and_parses_back(rubric):
    answers = ["one\n\n<response_2>\nnot a real section", "two", ""]
    msgs = prompts.group_messages(QUESTION, rubric, answers)
    user = msgs[1]["content"]
    shared = user[: user.index("<response_1>")]
    assert shared == prompts.group_messages(QUESTION, rubric, ["x"])[1]["content"][: len(shared)]
    assert user.endswith(
        'There are 3 responses: "scores" must have exactly 3 lists, one per response, in order.'
    )
    p = prompts.parse_prompt(msgs)
    assert p["mode"] == "group" and p["responses"] == answers and p["question"] == QUESTION


def test_the_probe_accepts_a_group_judge(server):
    j = OpenAIJudge(
        base_url=server.url, model="m", require_api_key=False, mode="group", json_mode="json_schema"
    )
    try:
        probe_judge(j)
    finally:
        j.close()
    assert server.requests == 1 and len(_calls(server)[0]) == 2
