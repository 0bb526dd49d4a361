"""Prompt round trips and the strict reply validation (no server needed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.rubric import Criterion, Rubric
from evals.judges import prompts
from evals.judges.openai_judge import (
    InvalidReply,
    combine_swapped,
    parse_json_object,
    reply_content,
    validate_pairwise_reply,
    validate_per_item_reply,
    validate_prior_reply,
    validate_rubric_reply,
    validate_scores,
)

KINDS = ("hard_rule", "principle", "hard_rule", "principle")


def test_prompts_round_trip(rubric):
    q, a, b = "Q with <b>tags</b>\nand lines", "resp A\n\nwith a blank line", "resp B"
    p = prompts.parse_prompt(prompts.rubric_messages(q, rubric, a))
    assert (p["mode"], p["question"], p["rubric"], p["responses"]) == ("rubric", q, _stripped(rubric), [a])
    p = prompts.parse_prompt(prompts.pairwise_messages(q, rubric, a, b))
    assert (p["mode"], p["responses"]) == ("pairwise", [a, b]) and p["rubric"] == _stripped(rubric)
    p = prompts.parse_prompt(prompts.per_item_messages(q, rubric.criteria[0], a))
    assert p["mode"] == "per_item" and p["rubric"] == _stripped(Rubric(criteria=rubric.criteria[:1]))
    assert p["responses"] == [a]
    for c in rubric.criteria[:2]:
        p = prompts.parse_prompt(prompts.logprob_messages(q, c, a))
        assert p["mode"] == f"logprob_{c.kind}" and p["responses"] == [a]
        assert p["rubric"] == _stripped(Rubric(criteria=(c,)))
    p = prompts.parse_prompt(prompts.prior_messages(q, rubric))
    assert p["mode"] == "prior" and len(p["rubric"]) == 4
    with pytest.raises(ValueError):
        prompts.parse_prompt([{"role": "user", "content": "hello"}])


def _stripped(r: Rubric) -> Rubric:  # the prompt carries text and kind (no check, weights or tags)
    return Rubric(criteria=tuple(Criterion(text=c.text, kind=c.kind) for c in r.criteria))


def test_prompts_never_carry_the_machine_check(rubric):
    """A check is the rules judge's answer key: an LLM judge must not see it, in any mode."""
    assert all(c.check for c in rubric.criteria[:3])
    q, a = "q", "a"
    every = [
        prompts.rubric_messages(q, rubric, a),
        prompts.pairwise_messages(q, rubric, a, "b"),
        prompts.prior_messages(q, rubric),
        *(prompts.per_item_messages(q, c, a) for c in rubric.criteria),
        *(prompts.logprob_messages(q, c, a) for c in rubric.criteria),
    ]
    for msgs in every:
        text = "\n".join(m["content"] for m in msgs)
        assert '"check"' not in text and "contains" not in text and "length_band" not in text
        assert all(c.text in text for c in rubric.criteria) or len(msgs[1]["content"]) < 2000


def test_prompt_states_the_count(rubric):
    system, user = (m["content"] for m in prompts.pairwise_messages("q", rubric, "a", "b"))
    assert "each score list must equal 4\n" in system and '"type": "[Hard Rule]"' in user  # E.1's wording
    assert "exactly 4 entries" in prompts.rubric_messages("q", rubric, "a")[1]["content"]
    assert prompts.rubric_messages("q", rubric, "a")[0]["content"] == prompts.RUBRIC_SYSTEM  # constant prefix


@pytest.mark.parametrize("good", [[True, 0, False, 10], [False, 7, True, 3]])
def test_valid_scores(good):
    assert validate_scores(good, KINDS) == good


@pytest.mark.parametrize(
    "bad",
    [
        [True, 7.5, False, 3],  # float
        [True, 7.0, False, 3],  # float, even if integral
        [True, "7", False, 3],  # string
        [True, True, False, 3],  # bool for a principle
        [True, 11, False, 3],  # out of range
        [True, -1, False, 3],
        [1, 7, False, 3],  # int for a hard rule
        ["true", 7, False, 3],
        [None, 7, False, 3],
        [True, 7, False],  # too short
        [True, 7, False, 3, 3],  # too long
        "True, 7, False, 3",
    ],
)
def test_invalid_scores(bad):
    with pytest.raises(InvalidReply):
        validate_scores(bad, KINDS)


@given(
    st.lists(
        st.one_of(
            st.booleans(), st.integers(-5, 15), st.floats(allow_nan=True), st.text(max_size=2), st.none()
        ),
        min_size=0,
        max_size=6,
    )
)
def test_validation_accepts_exactly_the_well_typed(scores):
    ok = len(scores) == len(KINDS) and all(
        (type(s) is bool) if k == "hard_rule" else (type(s) is int and 0 <= s <= 10)
        for s, k in zip(scores, KINDS, strict=False)
    )
    if ok:
        assert validate_scores(scores, KINDS) == scores
    else:
        with pytest.raises(InvalidReply):
            validate_scores(scores, KINDS)


def test_parse_json_object():
    assert parse_json_object('```json\n{"scores": [true]}\n```') == {"scores": [True]}
    for bad in ["", None, "[1, 2]", '{"scores": [true', 'Sure! {"scores": []}']:
        with pytest.raises(InvalidReply):
            parse_json_object(bad)


def test_reply_content_checks_the_completion_shape():
    ok = {"choices": [{"index": 0, "message": {"role": "assistant", "content": '{"scores": []}'}}]}
    assert reply_content(ok) == '{"scores": []}'
    assert reply_content({"choices": [{"message": {"content": None}}]}) is None  # then "empty reply"
    for bad in [
        {"choices": []},
        {"object": "error"},
        {"choices": [{"text": "legacy completion"}]},
        {"choices": [{"message": {"content": ["parts"]}}]},
        "<html>gateway error</html>",
        None,
    ]:
        with pytest.raises(InvalidReply):
            reply_content(bad)


def test_reply_validators():
    assert validate_rubric_reply({"scores": [True, 5, False, 0]}, KINDS)["rationale"] == ""
    with pytest.raises(InvalidReply):
        validate_rubric_reply({"rationale": "x"}, KINDS)
    with pytest.raises(InvalidReply):
        validate_rubric_reply({"scores": [True, 5, False, 0], "rationale": 3}, KINDS)
    r = validate_pairwise_reply(
        {"rationale": "r", "rollout_A_scores": [True, 1, True, 2], "rollout_B_scores": [False, 3, True, 4]},
        KINDS,
    )
    assert r["a"] == [True, 1, True, 2] and r["b"] == [False, 3, True, 4]
    with pytest.raises(InvalidReply):
        validate_pairwise_reply({"rollout_A_scores": [True, 1, True, 2]}, KINDS)
    assert validate_per_item_reply({"explanation": "e", "criteria_met": False}) == {
        "met": False,
        "rationale": "e",
    }
    for bad in ("yes", 1, None):
        with pytest.raises(InvalidReply):
            validate_per_item_reply({"criteria_met": bad})
    assert validate_prior_reply({"weights": [1, 0.5]}, 2) == {"weights": [1.0, 0.5]}
    for bad in ([1], [1, "2"], [1, True], [1, float("inf")], "1,2", None):
        with pytest.raises(InvalidReply):
            validate_prior_reply({"weights": bad}, 2)


def test_combine_swapped():
    assert combine_swapped([True, 7, False, 4], [True, 4, True, 4], KINDS) == [True, 6, False, 4]
    assert combine_swapped([None, 7, True, None], [False, None, True, None], KINDS) == [False, 7, True, None]


def test_a_raw_newline_inside_a_rationale_is_read_and_the_scores_stay_strict():
    """Small judges write multi-line rationales without escaping them (SmolLM2 under llama.cpp's
    schema grammar did, measured): the reply means what it says, so it is read; scores are not relaxed."""
    from evals.judges.replies import InvalidReply, parse_json_object

    assert parse_json_object('{"rationale": "line one\nline\ttwo", "scores": [true, 7]}')["scores"] == [True, 7]
    with pytest.raises(InvalidReply, match="not JSON"):
        parse_json_object('{"rationale": "ok", "scores": [true, 7,]}')
