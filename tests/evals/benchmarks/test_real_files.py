"""Every loader on samples of the real public files (each benchmark folder's fixtures/real/, its README.md
says where from; AlpacaEval's in tests/fixtures/real/, LICENSES.md there), and the fail-fast checks before
any generation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.layouts import read_rows
from core.rubric import RubricFormatError
from evals.benchmarks.alpaca_eval import AlpacaEval
from evals.benchmarks.arena_hard import OFFICIAL_BASELINES, ArenaHard
from evals.benchmarks.base import BENCHMARKS, BenchmarkCheckError
from evals.benchmarks.healthbench import HealthBench
from evals.benchmarks.ifeval import IFEval
from evals.benchmarks.writingbench import WritingBench
from evals.evaluation import evaluate

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"  # AlpacaEval's (CC BY-NC 4.0: not shipped)
AH = BENCHMARKS / "arena_hard" / "fixtures" / "real"
O3 = str(AH / "model_answer" / "o3-mini-2025-01-31.jsonl")


class NoModel:
    """Stands where the LM goes: any generation call fails the test (the checks must come first)."""

    def __getattr__(self, name):
        raise AssertionError(f"generation started ({name}) although the benchmark cannot be scored")


def test_arena_hard_question_file_with_u2028_loads():
    text = (AH / "question.jsonl").read_text(encoding="utf-8")
    assert "\u2028" in text and "\u2028" in Path(O3).read_text(encoding="utf-8")
    assert len(text.splitlines()) > text.count("\n")  # str.splitlines() would cut a row in two
    rows = read_rows(AH / "question.jsonl")
    assert len(rows) == 34 and any("\u2028" in r["prompt"] for r in rows)
    answers = read_rows(O3)
    assert sum("\u2028" in json.dumps(a, ensure_ascii=False) for a in answers) == 2


def test_arena_hard_official_baselines_per_category():
    b = ArenaHard(path=str(AH / "question.jsonl"), baseline_paths=[O3])
    # creative_writing is judged against gemini-2.0-flash-001, whose answers are not in the sample
    with pytest.raises(BenchmarkCheckError, match=r"6 of 34 questions have no baseline answer; first: row \d+: "
                                                  r"no answer of baseline 'gemini-2.0-flash-001'"):
        b.load()
    hard = ArenaHard(path=str(AH / "question.jsonl"), baseline_paths=[O3], categories=["hard_prompt"]).load()
    assert len(hard) == 28 and {e.meta["baseline_model"] for e in hard} == {OFFICIAL_BASELINES["hard_prompt"]}
    other = dict(OFFICIAL_BASELINES, creative_writing="o3-mini-2025-01-31")
    with pytest.raises(BenchmarkCheckError, match="4 of 34 questions"):  # 2 of the 6 creative rows have an o3-mini answer
        ArenaHard(path=str(AH / "question.jsonl"), baseline_paths=[O3], baselines=other).load()
    sep = {a["uid"] for a in read_rows(O3) if "\u2028" in json.dumps(a, ensure_ascii=False)}
    assert len(sep) == 2 and len(sep & {e.meta["uid"] for e in hard}) == 1
    with pytest.raises(BenchmarkCheckError, match=r"benchmark.categories=\['poetry'\] selects no rows"):
        ArenaHard(path=str(AH / "question.jsonl"), baseline_paths=[O3], categories=["poetry"]).load()


def test_arena_hard_real_data_with_the_rules_judge_fails_before_generation(rules_judge):
    b = ArenaHard(path=str(AH / "question.jsonl"), baseline_paths=[O3], categories=["hard_prompt"])
    with pytest.raises(BenchmarkCheckError, match=r"arena_hard: 28 of 28 items cannot be scored by judge 'rules'; "
                                                  r"first: arena-\w+: criterion .* has no 'check'"):
        evaluate(b, NoModel(), rules_judge, max_new_tokens=8)


def test_arena_hard_style_control_on_real_answers(rules_judge):
    """The fixture's style-controlled win rate, from the real answers' lengths and markdown."""
    b = ArenaHard()
    items = b.load()
    res = b.score(items, [e.meta["baseline"] + "\n\n## Extra\n- **more**" for e in items], rules_judge)
    m = res.metrics
    assert {"style_controlled_win_rate", "style_controlled_ci_low", "style_coef/length"} <= set(m)
    assert 0 <= m["style_controlled_ci_low"] <= m["style_controlled_win_rate"] <= m["style_controlled_ci_high"] <= 100
    assert {e.meta["baseline_model"] for e in items} == {"o3-mini-2025-01-31", "gemini-2.0-flash-001"}


def test_alpaca_eval_reference_sample_loads_and_needs_an_llm_judge(rules_judge):
    b = AlpacaEval(path=str(REAL / "alpaca_eval" / "gpt4_1106_preview_outputs.json"))
    items = b.load()
    assert len(items) == 40 and {e.meta["generator"] for e in items} == {"gpt4_1106_preview"}
    with pytest.raises(BenchmarkCheckError, match="alpaca_eval: 40 of 40 items cannot be scored by judge 'rules'"):
        evaluate(b, NoModel(), rules_judge, max_new_tokens=8)


def test_writingbench_real_rows_load_and_lang_filter_on_rows_without_lang_is_an_error():
    path = str(BENCHMARKS / "writingbench" / "fixtures" / "real" / "length_subset.jsonl")
    items = WritingBench(path=path).load()
    assert len(items) == 20 and all(5 <= len(e.rubric) <= 10 for e in items)
    assert all("(scoring: 1-2:" in c.text for c in items[0].rubric.criteria)
    with pytest.raises(BenchmarkCheckError, match=r"length_subset.jsonl: benchmark.lang=\['en'\] but no row has a 'lang'"):
        WritingBench(path=path, lang="en").load()


def test_writingbench_lang_filter_that_selects_nothing(tmp_path):
    rows = read_rows(BENCHMARKS / "writingbench" / "fixtures" / "real" / "length_subset.jsonl")[:3]
    p = tmp_path / "wb.jsonl"
    p.write_text("".join(json.dumps(dict(r, lang="zh"), ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert len(WritingBench(path=str(p), lang="zh").load()) == 3
    with pytest.raises(BenchmarkCheckError, match=r"selects no rows \('lang' values present: \['zh'\]\)"):
        WritingBench(path=str(p), lang="en").load()


def test_ifeval_real_input_data_loads_and_every_instruction_is_known(rules_judge):
    b = IFEval(path=str(BENCHMARKS / "ifeval" / "fixtures" / "real" / "input_data.jsonl"))
    items = b.load()
    assert len(items) == 25
    b.check(items, rules_judge)
    ids = {c.check["id"] for e in items for c in e.rubric.criteria}
    assert "length_constraints:number_sentences" in ids and "combination:repeat_prompt" in ids


def test_ifeval_says_in_one_line_that_it_does_not_use_another_judge(caplog):
    from evals.judges.base import Judge

    class Other(Judge):
        name = "openai"

        def judge(self, requests):
            raise AssertionError("ifeval must not send its items to this judge")

    b = IFEval(limit=2)
    with caplog.at_level("WARNING"):
        b.check(b.load(), Other())
    lines = [r.getMessage() for r in caplog.records if "ifeval" in r.getMessage()]
    assert lines == ["ifeval: scored by lm-eval's instruction checkers (the official metric), "
                     "not by the configured judge 'openai'"]


def test_toy_heldout_uses_the_configured_judge():
    from evals.benchmarks.toy_heldout import ToyHeldout
    from evals.judges.base import Judge, Judgment

    class Counting(Judge):
        name = "counting"

        def judge(self, requests):
            self.counters["requests"] += len(requests)
            return [Judgment(scores=[None] * len(r.rubric)) for r in requests]

    b, j = ToyHeldout(limit=3), Counting()
    items = b.load()
    res = b.score(items, ["x"] * len(items), j)
    assert j.counters["requests"] == 3 and len(res.samples) == 3


def test_healthbench_parquet_loads_like_its_jsonl(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from evals.benchmarks.healthbench import FIXTURE

    rows = read_rows(FIXTURE)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "hb.parquet")
    want = [(e.id, e.prompt, e.rubric) for e in HealthBench().load()]
    assert [(e.id, e.prompt, e.rubric) for e in HealthBench(path=str(tmp_path / "hb.parquet")).load()] == want
    (tmp_path / "hb.jsonl").write_bytes((tmp_path / "hb.parquet").read_bytes())  # parquet under a .jsonl name
    assert [e.id for e in HealthBench(path=str(tmp_path / "hb.jsonl")).load()] == [w[0] for w in want]
    (tmp_path / "bin.jsonl").write_bytes(b'{"a": 1}\n\xff\xfe\x00binary')
    with pytest.raises(RubricFormatError, match=r"bin.jsonl:2: field '<file>': not UTF-8 text"):
        HealthBench(path=str(tmp_path / "bin.jsonl")).load()
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(RubricFormatError, match=r"broken.parquet: field '<file>': not a readable parquet file"):
        HealthBench(path=str(tmp_path / "broken.parquet")).load()
