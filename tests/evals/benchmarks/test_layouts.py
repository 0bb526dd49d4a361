"""Benchmark rows go through the one layouts registry (core.layouts), as training rows do."""

from __future__ import annotations

import json

import pytest

import evals.benchmarks.alpaca_eval  # noqa: F401 (registers its rows' layout)
import evals.benchmarks.arena_hard  # noqa: F401
import evals.benchmarks.ifeval  # noqa: F401
import evals.benchmarks.infobench  # noqa: F401
import evals.benchmarks.writingbench  # noqa: F401
from core.layouts import Layout, detect, layouts, parse_rows, register, training_layouts
from core.rubric import RubricFormatError
from evals.benchmarks.alpaca_eval import AlpacaEval
from evals.benchmarks.infobench import InFoBench

BENCH_LAYOUTS = {"alpaca_eval", "arena_hard", "ifeval", "infobench", "writingbench"}


def test_each_benchmark_registers_its_rows_layout_beside_the_training_ones():
    known = layouts()
    assert BENCH_LAYOUTS <= set(known)
    assert {"harness", "verl", "healthbench"} <= set(known)
    for name in BENCH_LAYOUTS:
        assert known[name].parse.__module__ == f"evals.benchmarks.{name}"
        assert not known[name].training


def test_benchmark_layouts_are_no_data_format_and_never_auto_detected():
    from core.config import DataFormat

    assert set(training_layouts()) == {f.value for f in DataFormat} - {"auto"}
    ifeval_row = {"key": 1, "prompt": "Write two words.", "instruction_id_list": ["punctuation:no_comma"],
                  "kwargs": [{}]}
    with pytest.raises(RubricFormatError, match="fits no known layout") as e:
        detect(ifeval_row, "x.jsonl")
    assert "ifeval" not in str(e.value).split("one of")[1]


@pytest.mark.parametrize(("fmt", "row", "field"), [
    ("alpaca_eval", {"instruction": "Say hi.", "output": 3}, "output"),
    ("ifeval", {"prompt": "p", "instruction_id_list": ["a"], "kwargs": [{}, {}]}, "instruction_id_list"),
    ("infobench", {"instruction": "Do it.", "decomposed_questions": []}, "decomposed_questions"),
    ("writingbench", {"query": "Write.", "checklist": [{"name": "n"}], "domain1": "d"},
     "checklist.0.criteria_description"),
    ("arena_hard", {"uid": "u1", "category": "hard_prompt"}, "prompt"),
])
def test_a_bad_benchmark_row_is_one_line_naming_file_row_and_field(fmt, row, field):
    good = {"alpaca_eval": {"instruction": "Say hi.", "output": "Hi."}}.get(fmt)
    rows = [good, row] if good else [row]
    with pytest.raises(RubricFormatError) as e:
        parse_rows(rows, "bench.jsonl", fmt)
    n = len(rows)
    assert (e.value.source, e.value.row, e.value.field) == ("bench.jsonl", n, field)
    assert str(e.value).startswith(f"bench.jsonl:{n}: field '{field}': ") and "\n" not in str(e.value)


def test_a_benchmark_file_fails_through_its_layout_with_the_file_named(tmp_path):
    p = tmp_path / "infobench.jsonl"
    p.write_text(json.dumps({"instruction": "List three fruits.", "decomposed_questions": ["Three?"]}) + "\n"
                 + json.dumps({"instruction": "x", "decomposed_questions": ["ok"], "question_label": "Content"}) + "\n")
    with pytest.raises(RubricFormatError, match=rf"^{p}:2: field 'question_label': "):
        InFoBench(path=str(p)).load()
    good = tmp_path / "alpaca.json"
    good.write_text(json.dumps([{"instruction": "Say hi.", "output": "Hi.", "generator": "g"}]))
    (item,) = AlpacaEval(path=str(good)).load()
    assert (item.id, item.meta["reference"], item.question) == ("alpaca-1", "Hi.", "Say hi.")


def test_a_name_claimed_by_two_modules_is_an_error():
    other = Layout("ifeval", lambda row, n, ctx: None, ("prompt",), training=False)
    with pytest.raises(ValueError, match="'ifeval' is registered by evals.benchmarks.ifeval and "):
        register(other)
    assert layouts()["ifeval"].parse.__module__ == "evals.benchmarks.ifeval"
