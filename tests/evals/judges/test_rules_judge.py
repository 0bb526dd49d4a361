"""The offline rules judge: deterministic check semantics, IFEval via lm-eval, config errors."""

from __future__ import annotations

import pytest

from core.rubric import Criterion, Rubric
from evals.judges.base import JudgeRequest, normalize
from evals.judges.rules import CheckError, RulesJudge, ifeval_check


def _rubric(*crits):
    return Rubric(criteria=[Criterion(**c) for c in crits])


@pytest.mark.parametrize(
    ("check", "response", "expected"),
    [
        ({"type": "contains", "value": "Cat"}, "the cat sat", True),
        ({"type": "contains", "value": "Cat", "case_sensitive": True}, "the cat sat", False),
        ({"type": "not_contains", "value": "@"}, "mail me at a@b", False),
        ({"type": "regex", "pattern": r"\bsat\b"}, "the cat sat", True),
        ({"type": "word_count", "min": 2, "max": 3}, "one two three four", False),
        ({"type": "sentence_count", "min": 2}, "One. Two!", True),
        ({"type": "starts_with", "value": "sure"}, "  Sure, here", True),
        ({"type": "ends_with", "value": "."}, "done", False),
        ({"type": "bullets", "min": 2}, "- a\n* b\nc", True),
        ({"type": "json"}, '```json\n{"a": 1}\n```', True),
        ({"type": "json"}, "{a: 1}", False),
        ({"type": "no_digits"}, "no numbers here", True),
        ({"type": "lowercase"}, "all lower", True),
        ({"type": "language", "lang": "en"}, "This is clearly a sentence written in English.", True),
        ({"type": "ifeval", "id": "punctuation:no_comma"}, "a, b", False),
    ],
)
def test_boolean_checks_as_hard_rules(check, response, expected):
    j = RulesJudge().judge([JudgeRequest("q", _rubric({"text": "c", "kind": "hard_rule", "check": check}), response)])
    assert j[0].scores == [expected]


def test_principles_are_graded_0_to_10():
    rubric = _rubric(
        {"text": "k", "kind": "principle", "check": {"type": "keywords", "words": ["cat", "dog", "owl", "sun"]}},
        {"text": "len", "kind": "principle", "check": {"type": "length_band", "target": 4, "tolerance": 4}},
        {"text": "bool", "kind": "principle", "check": {"type": "contains", "value": "owl"}},
        {"text": "hr", "kind": "hard_rule", "check": {"type": "contains", "value": "dog"}},
    )
    j = RulesJudge().judge([JudgeRequest("q", rubric, "a cat and a dog")])[0]
    # keywords 2/4 -> 5; 5 words vs target 4 (tol 4) -> 1 - 1/4 = 0.75 -> 8 (round half even of 7.5)
    assert j.scores == [5, 8, 0, True]
    assert list(normalize(j.scores, rubric.kinds)) == [0.5, 0.8, 0.0, 1.0]


def test_ifeval_uses_lm_eval_checkers_offline():
    assert ifeval_check("length_constraints:number_sentences", {"relation": "at least", "num_sentences": 2},
                        "Dr. Smith arrived. He sat down.")
    assert not ifeval_check("change_case:english_lowercase", {}, "Not lower")
    assert ifeval_check("keywords:existence", {"keywords": ["sun"]}, "the sun is up")
    assert not ifeval_check("punctuation:no_comma", {}, "   ")  # empty response never follows


@pytest.mark.parametrize(
    ("crit", "match"),
    [
        ({"text": "no check", "kind": "hard_rule"}, "has no 'check'"),
        ({"text": "odd", "kind": "hard_rule", "check": {"type": "telepathy"}}, "unknown check type"),
        ({"text": "graded", "kind": "hard_rule", "check": {"type": "keywords", "words": ["a"]}}, "needs a true/false"),
        ({"text": "args", "kind": "hard_rule", "check": {"type": "contains"}}, r"needs \['value'\]"),
        ({"text": "ifeval", "kind": "hard_rule", "check": {"type": "ifeval", "id": "made:up"}}, "unknown IFEval"),
    ],
)
def test_unscorable_rubrics_are_configuration_errors(crit, match):
    with pytest.raises(CheckError, match=match):
        RulesJudge().validate(_rubric(crit))


def test_rules_judge_is_deterministic_and_counts():
    judge = RulesJudge()
    rubric = _rubric({"text": "t", "kind": "principle", "check": {"type": "diversity"}})
    reqs = [JudgeRequest("q", rubric, "one two three two one")] * 3
    out = judge.judge(reqs)
    assert [j.scores for j in out] == [[6]] * 3
    assert judge.stats()["judge/requests"] == 3.0
