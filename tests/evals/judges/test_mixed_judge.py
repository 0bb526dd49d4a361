"""judge=mixed: criteria with a ``check`` to the rules judge, the rest to an LLM judge over real HTTP.

The LLM side is the openai judge against the loopback server, which is *not* told the rubric's
checks: asked about a checked Hard Rule it would answer its stand-in (true), so a false verdict on
one can only come from the rules judge.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data import load_examples
from core.layouts import LayoutOptions
from core.rubric import Criterion, Rubric
from evals.judges.base import JudgeRequest
from evals.judges.mixed import MixedJudge, split_rubric
from evals.judges.openai_judge import OpenAIJudge
from evals.judges.prompts import parse_prompt
from evals.judges.rules import CheckError, RulesJudge
from tests.support.testserver import JudgeTestServer, stand_in_score

LAYOUTS = Path(__file__).resolve().parents[2] / "fixtures" / "layouts"
QUESTION = "What is the capital of France? Answer in one sentence."
RUBRIC = Rubric(criteria=(
    Criterion(text="Names Paris as the capital", kind="hard_rule", check={"type": "contains", "value": "Paris"}),
    Criterion(text="Is friendly and clear", kind="principle"),
    Criterion(text="Does not mention London", kind="hard_rule", check={"type": "not_contains", "value": "London"}),
    Criterion(text="Answers the question asked", kind="hard_rule"),
))
ANSWERS = ["The capital of France is Paris.", "London, I think."]


@pytest.fixture
def llm(tmp_path):
    with JudgeTestServer() as srv:  # no srv.register: the LLM side never learns the checks
        judge = OpenAIJudge(base_url=srv.url, model="loopback-judge", mode="rubric", max_retries=0,
                            timeout=5.0, cache_path=str(tmp_path / "judge_cache.sqlite"))
        try:
            yield srv, judge
        finally:
            judge.close()


def _asked(srv: JudgeTestServer) -> list[list[str]]:
    """The criterion texts of every rubric the LLM server was asked about, in order."""
    return [[c.text for c in parse_prompt(e["messages"])["rubric"].criteria] for e in srv.log]


def test_each_criterion_goes_to_the_judge_its_check_says_and_scores_keep_the_rubric_order(llm):
    srv, openai_judge = llm
    mixed = MixedJudge(llm=openai_judge, rules=RulesJudge())
    out = mixed.judge([JudgeRequest(QUESTION, RUBRIC, a) for a in ANSWERS])
    assert _asked(srv) == [["Is friendly and clear", "Answers the question asked"]] * 2  # never a checked one
    for a, j in zip(ANSWERS, out, strict=True):
        free = [c for c in RUBRIC.criteria if c.check is None]
        assert j.scores == ["Paris" in a, stand_in_score(free[0], a), "London" not in a, stand_in_score(free[1], a)]
        assert j.judge == "mixed" and j.unscorable == 0
    assert out[1].scores[0] is False and out[1].scores[2] is False  # the LLM's stand-in would have said true
    stats = mixed.stats()
    assert stats["judge/requests"] == 2 and stats["judge/rules/requests"] == 2  # LLM's unprefixed, rules' under rules/


def test_a_rubric_of_one_kind_calls_one_judge(llm):
    srv, openai_judge = llm
    mixed = MixedJudge(llm=openai_judge, rules=RulesJudge())
    checked = Rubric(criteria=tuple(c for c in RUBRIC.criteria if c.check))
    free = Rubric(criteria=tuple(c for c in RUBRIC.criteria if not c.check))
    assert split_rubric(checked) == ([0, 1], []) and split_rubric(free) == ([], [0, 1])
    (j,) = mixed.judge([JudgeRequest(QUESTION, checked, ANSWERS[0])])
    assert j.scores == [True, True] and srv.requests == 0 and "judge/requests" not in mixed.stats()
    mixed = MixedJudge(llm=openai_judge, rules=RulesJudge())
    mixed.judge([JudgeRequest(QUESTION, free, ANSWERS[0])])
    assert srv.requests == 1 and "judge/rules/requests" not in mixed.stats()


def test_an_unscorable_llm_reply_stays_none_and_the_rule_scores_stand(llm):
    srv, openai_judge = llm
    srv.inject("malformed")
    (j,) = MixedJudge(llm=openai_judge, rules=RulesJudge()).judge([JudgeRequest(QUESTION, RUBRIC, ANSWERS[0])])
    assert j.scores[0] is True and j.scores[2] is True and j.scores[1] is None and j.scores[3] is None
    assert j.unscorable == 2


def test_validate_checks_each_part_with_its_own_judge(llm):
    _, openai_judge = llm
    mixed = MixedJudge(llm=openai_judge, rules=RulesJudge())
    mixed.validate(RUBRIC)  # the rules judge alone rejects the criteria without a check
    with pytest.raises(CheckError, match="has no 'check'"):
        RulesJudge().validate(RUBRIC)
    bad = Rubric(criteria=(Criterion(text="Uses a made-up check", kind="hard_rule", check={"type": "sparkle"}),))
    with pytest.raises(CheckError, match="unknown check type 'sparkle'"):
        mixed.validate(bad)


def test_rubrichub_instruction_following_rows_split_between_the_two_judges(llm):
    """The real-layout sample: `verifier: rule` items the rules judge knows carry an IFEval check and are
    scored by lm-eval's checkers; `verifier: llm` items and rule functions it lacks go to the LLM."""
    srv, openai_judge = llm
    rows = load_examples(LAYOUTS / "rubrichub_instruction_following.parquet", "verl",
                         options=LayoutOptions(unknown_rules="llm"))
    mixed = MixedJudge(llm=openai_judge, rules=RulesJudge())
    reqs = [JudgeRequest(e.question, e.rubric, "Sure. Here is a short answer, with a comma.") for e in rows]
    for r in reqs:
        mixed.validate(r.rubric)
    out = mixed.judge(reqs)
    rule_items = [[c for c in e.rubric.criteria if c.check] for e in rows]
    assert all(rule_items) and all(c.check["type"] == "ifeval" for items in rule_items for c in items)
    # the judge sends a batch concurrently: the server sees the rows' requests in any order
    assert sorted(_asked(srv)) == sorted([c.text for c in e.rubric.criteria if not c.check] for e in rows)
    assert [len(j.scores) for j in out] == [len(e.rubric) for e in rows] and all(j.unscorable == 0 for j in out)


def test_pairs_compare_the_free_items_through_the_llm_judges_pairwise_protocol(llm):
    """Pairwise benchmarks: one pairwise call per pair on the items without a check; each side's checked
    items scored by the rules judge."""
    srv, openai_judge = llm
    mixed = MixedJudge(llm=openai_judge, rules=RulesJudge())
    a, b = (JudgeRequest(QUESTION, RUBRIC, x) for x in ANSWERS)
    ((ja, jb),) = mixed.judge_pairs([(a, b)])
    (asked,) = [parse_prompt(e["messages"]) for e in srv.log]
    assert asked["mode"] == "pairwise" and asked["responses"] == ANSWERS
    assert [c.text for c in asked["rubric"].criteria] == ["Is friendly and clear", "Answers the question asked"]
    assert (ja.scores[0], ja.scores[2]) == (True, True) and (jb.scores[0], jb.scores[2]) == (False, False)
    assert ja.unscorable == jb.unscorable == 0 and mixed.stats()["judge/rules/requests"] == 2
