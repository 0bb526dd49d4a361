"""Loaders (fixtures in the real formats, malformed rows), scoring without generation, pairwise helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.rubric import RubricFormatError
from evals.benchmarks.alpaca_eval import AlpacaEval
from evals.benchmarks.arena_hard import ArenaHard
from evals.benchmarks.base import BenchResult, judge_pairs, rubric_score, with_mode
from evals.benchmarks.healthbench import HealthBench
from evals.benchmarks.ifeval import IFEval
from evals.benchmarks.infobench import InFoBench
from evals.benchmarks.suite import lm_eval_benchmarks
from evals.benchmarks.writingbench import WritingBench
from evals.judges.base import Judge, JudgeRequest, Judgment

ALL = list(lm_eval_benchmarks().values())  # every registered benchmark with official metrics


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_fixture_loads_in_real_format_and_every_criterion_is_rules_scorable(cls, rules_judge):
    items = cls().load()
    assert len(items) >= 8
    assert len({e.id for e in items}) == len(items)
    for e in items:
        rules_judge.validate(e.rubric)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_score_structure_with_canned_responses(cls, rules_judge):
    b = cls(limit=4)
    items = b.load()
    assert len(items) == 4
    res = b.score(items, ["Sure. The cat likes fresh water today."] * len(items), rules_judge)
    assert isinstance(res, BenchResult)
    assert b.primary in res.metrics
    assert "severe_deficiency_rate" in res.polarization
    if res.dimensions:
        assert {"worst_dimension", "spread"} <= set(res.polarization)
        assert res.polarization["worst_dimension"] == min(
            v for k, v in res.dimensions.items() if not k.startswith(("theme:", "criterion:")))
    assert len(res.samples) == len(items)
    assert {"id", "prompt", "response", "scores"} <= set(res.samples[0])
    json.dumps(res.flat())


def test_empty_inputs_raise(rules_judge):
    for cls in ALL:
        with pytest.raises(ValueError, match="no items"):
            cls().score([], [], rules_judge)


def test_healthbench_signed_points_and_dimensions(rules_judge):
    b = HealthBench()
    items = {e.id: e for e in b.load()}
    e = items["hb-fx-01"]  # +10 hospital, +6 still, +3 length, -8 "push the bone"
    r = "Go to the hospital now. Keep the arm still. Do not push the bone back."
    res = b.score([e], [r], rules_judge)
    assert res.samples[0]["scores"] == [True, True, True, True]
    assert res.metrics["overall_score"] == pytest.approx((10 + 6 + 3 - 8) / 19)
    assert set(res.dimensions) >= {"axis:completeness", "axis:accuracy", "theme:emergency_referrals"}
    assert res.dimensions["axis:accuracy"] == pytest.approx(0.0)  # (6 - 8) / 6 clipped
    assert res.polarization["severe_deficiency_rate"] == 1.0  # met a -8 pitfall


def test_healthbench_only_pitfall_example_is_left_out(rules_judge):
    b = HealthBench()
    items = {e.id: e for e in b.load()}
    res = b.score([items["hb-fx-09"], items["hb-fx-08"]], ["Drink water.", "Apples are healthy."], rules_judge)
    assert res.samples[0]["example_score"] is None
    assert res.metrics["n_scored"] == 1
    assert res.metrics["overall_score"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no example has a defined score"):
        b.score([items["hb-fx-09"]], ["Drink water."], rules_judge)


def test_writingbench_scale_and_domains(rules_judge):
    b = WritingBench()
    items = b.load()
    res = b.score(items, [""] * len(items), rules_judge)
    assert 1.0 <= res.metrics["score"] <= 10.0
    assert len([k for k in res.dimensions if k.startswith("domain:")]) == 6


def test_pairwise_ties_give_fifty_percent(rules_judge):
    arena = ArenaHard()
    items = arena.load()
    res = arena.score(items, [e.meta["baseline"] for e in items], rules_judge)
    assert res.metrics["win_rate"] == pytest.approx(50.0, abs=1e-3)
    assert all(s["games"] == ["A=B", "A=B"] for s in res.samples)
    alpaca = AlpacaEval()
    items = alpaca.load()
    res = alpaca.score(items, [e.meta["reference"] for e in items], rules_judge)
    assert res.metrics["win_rate"] == 50.0
    assert res.metrics["length_controlled_win_rate"] == pytest.approx(50.0, abs=0.5)
    assert res.metrics["n_ties"] == len(items)


def test_arena_model_better_than_baseline_wins(rules_judge):
    arena = ArenaHard()
    items = [e for e in arena.load() if e.meta["uid"] == "a1f7"]  # lowercase hard rule + keywords
    res = arena.score(items, ["clear rules help the team work"], rules_judge)
    assert res.samples[0]["games"][0] in ("B>A", "B>>A", "A=B")


class PairJudge(Judge):
    """Prefers the longer response; counts how it was called."""

    name = "pairfake"

    def __init__(self):
        super().__init__()
        self.mode = "pairwise"

    def judge(self, requests):
        self.counters["judge_calls"] += 1
        return [Judgment([10 if len(r.response) > 5 else 0] * len(r.rubric)) for r in requests]

    def judge_pairs(self, pairs):
        self.counters["pair_calls"] += 1
        out = []
        for a, b in pairs:
            wa = len(a.response) >= len(b.response)
            out.append((Judgment([10 if wa else 2] * len(a.rubric)), Judgment([2 if wa else 10] * len(b.rubric))))
        return out


def test_judge_pairs_prefers_the_judges_own_pairwise_call():
    e = AlpacaEval(limit=1).load()[0]
    j = PairJudge()
    a, b = JudgeRequest(e.question, e.rubric, "long answer"), JudgeRequest(e.question, e.rubric, "x")
    got = judge_pairs(j, [(a, b)], progress=False)
    assert j.counters["pair_calls"] == 1 and j.counters["judge_calls"] == 0
    assert rubric_score(got[0][0], e.rubric.kinds) == 1.0 and rubric_score(got[0][1], e.rubric.kinds) == 0.2


def test_judge_pairs_pointwise_fallback_dedupes_and_batches(rules_judge):
    from evals.judges.rules import RulesJudge

    e = ArenaHard(limit=1).load()[0]
    j = RulesJudge()
    a, b = JudgeRequest(e.question, e.rubric, "one"), JudgeRequest(e.question, e.rubric, "two")
    got = judge_pairs(j, [(a, b), (b, a)], progress=False)
    assert j.counters["requests"] == 2  # two distinct responses, scored once each
    assert got[0][0].scores == got[1][1].scores


def test_with_mode_switches_a_moded_judge_only():
    j = PairJudge()
    k = with_mode(j, "per_item")
    assert k is not j and k.mode == "per_item" and j.mode == "pairwise"
    assert with_mode(j, None) is j
    from evals.judges.rules import RulesJudge

    r = RulesJudge()
    assert with_mode(r, "per_item") is r


# ----------------------------------------------------------------------------- malformed rows


def _write(tmp_path: Path, name: str, rows) -> str:
    p = tmp_path / name
    if name.endswith(".json"):
        p.write_text(json.dumps(rows))
    else:
        p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(p)


HB_OK = {"prompt": [{"role": "user", "content": "hi"}], "rubrics": [{"criterion": "c", "points": 1, "tags": []}],
         "example_tags": []}


@pytest.mark.parametrize(("cls", "fname", "rows", "row", "field"), [
    (HealthBench, "hb.jsonl", [HB_OK, {**HB_OK, "rubrics": None}], 2, "rubrics"),
    (HealthBench, "hb.jsonl", [{**HB_OK, "rubrics": [{"criterion": "c", "points": "ten"}]}], 1, "rubrics.0.points"),
    (HealthBench, "hb.jsonl", [{**HB_OK, "rubrics": [{"criterion": " ", "points": 1}]}], 1, "rubrics.0.criterion"),
    (HealthBench, "hb.jsonl", [{**HB_OK, "prompt": []}], 1, "prompt"),
    (WritingBench, "wb.jsonl", [{"query": "q", "domain1": "d", "checklist": [{"criteria_description": "x"}]}], 1,
     "checklist.0.name"),
    (WritingBench, "wb.jsonl", [{"query": "q", "checklist": [{"name": "n", "criteria_description": "x"}]}], 1,
     "domain1"),
    (InFoBench, "ib.jsonl", [{"instruction": "i", "decomposed_questions": ["a", "b"], "decomposed_checks": [{}]}], 1,
     "decomposed_checks"),
    (InFoBench, "ib.jsonl", [{"instruction": "i", "decomposed_questions": []}], 1, "decomposed_questions"),
    (AlpacaEval, "ae.json", [{"instruction": "i", "output": "o"}, {"instruction": "i"}], 2, "output"),
    (IFEval, "if.jsonl", [{"prompt": "p", "instruction_id_list": ["a"], "kwargs": []}], 1, "instruction_id_list"),
])
def test_malformed_rows_name_file_row_and_field(tmp_path, cls, fname, rows, row, field):
    path = _write(tmp_path, fname, rows)
    with pytest.raises(RubricFormatError) as ei:
        cls(path=path).load()
    msg = str(ei.value)
    assert msg.startswith(f"{path}:{row}: field '{field}'"), msg
    assert "\n" not in msg


def test_malformed_json_and_arena_baseline(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"prompt": "x"}\n{not json\n')
    with pytest.raises(RubricFormatError, match=r"bad.jsonl:2: field '<json>'"):
        HealthBench(path=str(p)).load()
    q = _write(tmp_path, "question.jsonl", [{"uid": "u1", "category": "hard_prompt", "prompt": "p"}])
    base = _write(tmp_path, "base.jsonl", [{"uid": "u2", "model": "m",
                                            "messages": [{"role": "assistant", "content": {"answer": "a"}}]}])
    with pytest.raises(ValueError, match=r"question.jsonl: 1 of 1 questions have no baseline answer; first: row 1: "
                                         r"no answer of baseline 'o3-mini-2025-01-31' for uid 'u1'"):
        ArenaHard(path=q, baseline_paths=[base]).load()
    bad_base = _write(tmp_path, "base2.jsonl", [{"uid": "u1", "model": "m", "messages": [{"role": "assistant"}]}])
    with pytest.raises(RubricFormatError, match=r"base2.jsonl:1: field 'messages'"):
        ArenaHard(path=q, baseline_paths=[bad_base]).load()
    notlist = tmp_path / "ae.json"
    notlist.write_text('{"instruction": "x"}')
    with pytest.raises(RubricFormatError, match="expected a JSON list"):
        AlpacaEval(path=str(notlist)).load()


def test_real_data_without_checks_loads_but_rules_judge_refuses(tmp_path, rules_judge):
    """Real rows carry no checks: they load, and the rules judge says why it cannot score them."""
    from evals.judges.rules import CheckError

    q = _write(tmp_path, "question.jsonl", [{"uid": "u1", "category": "hard_prompt", "subcategory": "s", "prompt": "p"}])
    base = _write(tmp_path, "base.jsonl", [{"uid": "u1", "model": "o3-mini-2025-01-31",
                                            "messages": [{"role": "user", "content": "p"},
                                                         {"role": "assistant", "content": {"answer": "a"}}]}])
    items = ArenaHard(path=q, baseline_paths=[base]).load()
    assert items[0].meta["baseline"] == "a" and len(items[0].rubric) == 5
    with pytest.raises(CheckError, match="no 'check'"):
        rules_judge.validate(items[0].rubric)
