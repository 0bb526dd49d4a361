"""The cut rule in evaluation, as in training: a response cut in its reasoning is never sent to the
judge and fails every criterion (pitfalls included), so each benchmark gives it its lowest score;
an empty answer that was not cut is judged as usual."""

from __future__ import annotations

import pytest

from core.reasoning import CUT, split_completion
from evals.benchmarks.alpaca_eval import AlpacaEval
from evals.benchmarks.arena_hard import ArenaHard
from evals.benchmarks.base import cut_judgment, judge_pairs
from evals.benchmarks.healthbench import HealthBench
from evals.benchmarks.ifeval import IFEval
from evals.benchmarks.infobench import InFoBench
from evals.benchmarks.toy_heldout import ToyHeldout
from evals.benchmarks.writingbench import WritingBench
from evals.evaluation import evaluate
from evals.judges.base import JudgeRequest
from tests.support.judges import CountingJudge


class PairJudge(CountingJudge):
    """A judge with its own pairwise call (as the openai judge), recording each pair it is asked about."""

    def judge_pairs(self, pairs):
        self.seen += [a.response + " | " + b.response for a, b in pairs]
        return [tuple(super(CountingJudge, self).judge([a, b])) for a, b in pairs]


# per benchmark: its metrics at their lowest when every response is cut
LOWEST = {
    HealthBench: lambda r: r.metrics["overall_score"] == 0.0
    and all(s["example_score"] == -sum(-c.points for c in e.rubric.criteria if c.points < 0)
            / sum(c.points for c in e.rubric.criteria if c.points > 0) for s, e in r.items),
    InFoBench: lambda r: r.metrics["drfr"] == 0.0,
    WritingBench: lambda r: r.metrics["score"] == 1.0,  # the floor of WritingBench's 1-10 scale
    ToyHeldout: lambda r: r.metrics["rubric_score"] == 0.0 and r.metrics["hard_rule_pass_rate"] == 0.0,
    IFEval: lambda r: r.metrics["prompt_level_strict_acc"] == r.metrics["prompt_level_loose_acc"] == 0.0
    and r.metrics["inst_level_loose_acc"] == 0.0,
    AlpacaEval: lambda r: r.metrics["win_rate"] == 0.0,
    ArenaHard: lambda r: all(s["games"] == ["A>>B", "B>>A"] for s, _ in r.items),  # the baseline wins both, strongly
}


class Scored:
    def __init__(self, res, items) -> None:
        self.metrics, self.items = res.metrics, list(zip(res.samples, items, strict=True))


@pytest.mark.parametrize("cls", list(LOWEST), ids=lambda c: c.name)
def test_a_cut_response_costs_no_judge_call_and_scores_lowest(cls):
    bench = cls(limit=3)
    items = bench.load()
    judge = CountingJudge()
    res = bench.score(items, [CUT] * len(items), judge)
    assert judge.seen == []
    assert LOWEST[cls](Scored(res, items)), res.metrics
    bench.score(items, [""] * len(items), judge)  # an empty answer that was not cut is judged
    assert judge.seen


def test_a_pair_with_a_cut_side_is_not_sent_to_a_pairwise_judge():
    (e,) = AlpacaEval(limit=1).load()
    judge = PairJudge()
    mine, ref = JudgeRequest(e.question, e.rubric, CUT), JudgeRequest(e.question, e.rubric, e.meta["reference"])
    other = JudgeRequest(e.question, e.rubric, "an answer")
    got = judge_pairs(judge, [(mine, ref), (ref, mine), (other, ref)])
    assert judge.seen == ["an answer | " + e.meta["reference"]]  # only the pair without a cut side
    assert got[0][0] == got[1][1] == cut_judgment(e.rubric)


def test_cut_judgment_fails_every_criterion_pitfall_included():
    (e,) = [x for x in HealthBench().load() if x.id == "hb-fx-01"]  # -8 "push the bone": a pitfall
    pitfall = [c.points < 0 for c in e.rubric.criteria]
    assert any(pitfall) and not all(pitfall)
    assert cut_judgment(e.rubric).scores == pitfall  # a pitfall is present (met), every other criterion unmet


class StubLM:
    """An lm-eval LM stand-in: returns canned generations in order (no model needed)."""

    def __init__(self, outputs: list[str]) -> None:
        self.outputs = outputs

    def apply_chat_template(self, messages, add_generation_prompt=True):
        return str(messages)

    def generate_until(self, requests, disable_tqdm=False):
        return self.outputs[: len(requests)]


def test_evaluation_layer_applies_the_cut_rule():
    bench = HealthBench(limit=2)
    items = bench.load()
    raw = ["<think>\nthe bone... still thinking", "<think>\nok</think>\n\nGo to the hospital; keep it still."]
    assert split_completion(raw[0]).answer is CUT
    judge = CountingJudge()
    ev = evaluate(bench, StubLM(raw), judge, max_new_tokens=8, items=items)
    assert judge.seen == ["Go to the hospital; keep it still."]  # the answer only, and no call for the cut one
    assert ev.judge_counts["judge/requests"] == 1.0
    assert ev.result.metrics["completions/cut_in_reasoning"] == 0.5
    cut, answered = ev.result.samples
    assert cut["scores"] == cut_judgment(items[0].rubric).scores and cut["example_score"] < 0
    assert answered["example_score"] > cut["example_score"]


def test_evaluation_splits_on_the_scales_think_end_token():
    """A model whose reasoning ends with another token (``scale.think_end_token``): the judge sees
    the text after it, and the default ``</think>`` is not what splits."""
    bench = HealthBench(limit=2)
    items = bench.load()
    raw = ["the bone is broken?<|end_of_thought|>\n\nSee a doctor.", "a </think> inside the answer"]
    judge = CountingJudge()
    evaluate(bench, StubLM(raw), judge, max_new_tokens=8, items=items, think_end_token="<|end_of_thought|>")
    assert judge.seen == ["See a doctor.", "a </think> inside the answer"]
