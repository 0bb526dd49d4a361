"""The verl rubric layout (RubricHub, RuscaRL) through the public loader, against the raw rows."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.data import load_examples
from core.layouts import LayoutOptions
from core.layouts.ifeval import IFEVAL
from core.rubric import RubricFormatError

LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
RUSCARL = LAYOUTS / "ruscarl_healthbench_val.parquet"
RH_IF = LAYOUTS / "rubrichub_instruction_following.parquet"
RH_MED = LAYOUTS / "rubrichub_medical.parquet"
LLM_RULES = LayoutOptions(unknown_rules="llm")


def raw(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def test_ruscarl_rows_keep_conversations_signed_points_and_tags():
    rows, ex = raw(RUSCARL), load_examples(RUSCARL, "verl")
    assert len(ex) == len(rows) == 5
    for r, e in zip(rows, ex, strict=True):
        assert e.messages == [{"role": m["role"], "content": m["content"]} for m in r["prompt"]]
        items = r["reward_model"]["rubrics"]
        assert len(e.rubric) == len(items)
        assert [c.points for c in e.rubric.criteria] == [float(i["points"]) for i in items]
        assert [c.text for c in e.rubric.criteria] == [i["criterion"].strip() for i in items]
        assert set(e.rubric.kinds) == {"hard_rule"}  # the default judged_kind
        for c, i in zip(e.rubric.criteria, items, strict=True):
            assert {"ability:medical_chat", "data_source:healthbench", *i["tags"]} <= set(c.tags)
    assert [len(e.messages) for e in ex] == [len(r["prompt"]) for r in rows] and max(len(e.messages) for e in ex) > 1
    assert sum(c.points < 0 for e in ex for c in e.rubric.criteria) == sum(
        i["points"] < 0 for r in rows for i in r["reward_model"]["rubrics"]) > 0
    assert ex[1].question == rows[1]["prompt"][-1]["content"]


def test_judged_kind_option_makes_llm_items_principles():
    ex = load_examples(RUSCARL, "verl", options=LayoutOptions(judged_kind="principle"))
    assert {k for e in ex for k in e.rubric.kinds} == {"principle"}


def test_rubrichub_rules_map_to_ifeval_checks_and_llm_items_follow_the_option():
    rows = raw(RH_IF)
    ex = load_examples(RH_IF, "verl", options=LayoutOptions(judged_kind="principle", unknown_rules="llm"))
    assert len(ex) == len(rows) == 3
    for r, e in zip(rows, ex, strict=True):
        items = r["reward_model"]["rubrics"]
        assert len(e.rubric) == len(items)
        for c, i in zip(e.rubric.criteria, items, strict=True):
            fn, verifier = i["tags"]["function"], i["tags"]["verifier"]
            assert c.points == i["points"] > 0
            if verifier == "rule" and fn in IFEVAL:
                assert c.kind == "hard_rule" and c.check["type"] == "ifeval" and c.check["id"] == IFEVAL[fn][0]
                assert f"function:{fn}" in c.tags and i["criterion"] in c.text
            else:
                assert c.kind == "principle" and c.check is None
    first = ex[0].rubric.criteria
    assert first[0].check["kwargs"] == {"num_sentences": 4, "relation": "less than"}  # 4.0 in the file
    assert isinstance(first[0].check["kwargs"]["num_sentences"], int)
    assert "verifier:llm_for_rule" in first[2].tags and "last_word='today'" in first[2].text
    assert len(ex[1].messages) == 3  # multi-turn stays a conversation


def test_unknown_rule_functions_are_an_error_listing_them_with_counts():
    with pytest.raises(RubricFormatError) as e:
        load_examples(RH_IF, "verl")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{RH_IF}:1: field 'reward_model.rubrics.tags.function':")
    assert "2 rule criteria" in msg and "LastWordSentChecker (1)" in msg and "CopyChecker (1)" in msg
    assert "data.unknown_rules=llm" in msg


def test_llm_only_files_with_string_parameters_load():
    rows, ex = raw(RH_MED), load_examples(RH_MED, "verl")
    assert [len(e.rubric) for e in ex] == [len(r["reward_model"]["rubrics"]) for r in rows] == [10, 10]
    assert all(c.check is None and "verifier:llm" in c.tags and "ability:medical" in c.tags
               for e in ex for c in e.rubric.criteria)
    assert ex[0].prompt == [{"role": "user", "content": rows[0]["prompt"][0]["content"]}]


def test_abilities_option_keeps_only_those_rows(tmp_path):
    both = tmp_path / "both.jsonl"
    rows = raw(RH_MED) + raw(RUSCARL)[:1]
    both.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ex = load_examples(both, "verl", options=LayoutOptions(abilities=("Medical",)))
    assert [e.id for e in ex] == ["medical-1", "medical-2"]
    ex = load_examples(both, "verl", options=LayoutOptions(abilities=("healthbench",)))  # a data_source works too
    assert [e.id for e in ex] == ["healthbench-3"]
    with pytest.raises(RubricFormatError, match=r"data.abilities=\['Chat'\] keeps no row \(abilities present: "
                                                r"\['Medical', 'medical_chat'\]\)"):
        load_examples(both, "verl", options=LayoutOptions(abilities=("Chat",)))


def _bad(tmp_path, mutate) -> Path:
    r = raw(RH_IF)[0]
    mutate(r)
    p = tmp_path / "bad.jsonl"
    p.write_text(json.dumps(raw(RH_MED)[0]) + "\n" + json.dumps(r) + "\n")
    return p


@pytest.mark.parametrize(("mutate", "field", "why"), [
    (lambda r: r["reward_model"]["rubrics"][0].pop("points"), "reward_model.rubrics.0.points", "expected a number"),
    (lambda r: r["reward_model"]["rubrics"][1].update(criterion=" "), "reward_model.rubrics.1.criterion", "blank"),
    (lambda r: r["reward_model"]["rubrics"][0]["tags"].update(verifier="regex"), "reward_model.rubrics.0.tags.verifier",
     "expected one of ['llm', 'rule']"),
    (lambda r: r["reward_model"]["rubrics"][0]["tags"]["parameters"].update(num_sentences=None),
     "reward_model.rubrics.0.tags.parameters", "NumberOfSentences needs parameters ['num_sentences']"),
    (lambda r: r["reward_model"]["rubrics"][1]["tags"]["parameters"].update(letter="x"),
     "reward_model.rubrics.1.tags.parameters", "CommaChecker takes [], not ['letter']"),
    (lambda r: r.update(reward_model={"rubrics": []}), "reward_model.rubrics", "non-empty list"),
    (lambda r: r.update(prompt=[{"role": "user"}]), "prompt", "messages need exactly 'role' and 'content'"),
])
def test_a_row_that_breaks_the_layout_names_file_row_and_field(tmp_path, mutate, field, why):
    p = _bad(tmp_path, mutate)
    with pytest.raises(RubricFormatError) as e:
        load_examples(p, "verl", options=LLM_RULES)
    assert (e.value.row, e.value.field) == (2, field) and why in e.value.why
    assert str(e.value).startswith(f"{p}:2: field '{field}':") and "\n" not in str(e.value)


def test_parquet_is_read_in_batches_and_only_the_columns_the_layout_needs(tmp_path, monkeypatch):
    """extra_info (RuscaRL copies prompt and rubric into it) is never read."""
    seen = []
    real = pq.ParquetFile.iter_batches

    def spy(self, *a, **kw):
        seen.append(kw.get("columns"))
        return real(self, *a, **kw)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    load_examples(RUSCARL, "verl")
    assert seen and all(c is not None and "extra_info" not in c for c in seen)
    broken = tmp_path / "x.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(RubricFormatError, match=r"x.parquet: field '<file>': not a readable parquet file"):
        load_examples(broken, "verl")
    empty = tmp_path / "e.parquet"
    pq.write_table(pa.Table.from_pylist([], schema=pq.read_schema(RH_MED)), empty)
    with pytest.raises(RubricFormatError, match="no rows"):
        load_examples(empty, "verl")


def test_mapped_functions_are_lm_evals_ifeval_classes_with_those_arguments():
    """The table is only right if each function is the class lm-eval registers under that id."""
    import inspect

    from evals.judges.rules import _ifeval_registry

    registry = _ifeval_registry()
    for fn, (ident, required, optional) in IFEVAL.items():
        cls = registry[ident]
        assert cls.__name__ == fn
        params = set(inspect.signature(cls.build_description).parameters) - {"self"}
        assert set(required) | set(optional) <= params, fn


def test_mapped_rules_are_scored_by_the_rules_judge():
    from evals.judges.rules import RulesJudge, score_criterion

    (e1, e2, _) = load_examples(RH_IF, "verl", options=LLM_RULES)
    rules = [c for e in (e1, e2) for c in e.rubric.criteria if c.check is not None]
    from core.rubric import Rubric

    RulesJudge().validate(Rubric(criteria=rules))
    sentences, no_comma = rules[0], rules[1]
    assert score_criterion(sentences, "One. Two. Three.") is True
    assert score_criterion(sentences, "One. Two. Three. Four. Five.") is False
    assert score_criterion(no_comma, "yes, no") is False
    bullets = next(c for c in rules if c.check["id"] == "detectable_format:number_bullet_lists")
    assert score_criterion(bullets, "* a\n* b\n* c") is True
    first_word = next(c for c in rules if c.check["id"].endswith("nth_paragraph_first_word"))
    assert score_criterion(first_word, "Water daily.\n\nNext check the balcony.") is True


def test_the_files_of_one_dataset_load_together_and_unknown_rules_are_listed_once():
    ex = load_examples([RH_IF, RH_MED], "auto", options=LLM_RULES)
    assert [e.id for e in ex] == ["instruction_following-1", "instruction_following-2", "instruction_following-3",
                                  "medical-1", "medical-2"]
    with pytest.raises(RubricFormatError, match=r"2 rule criteria use functions") as e:
        load_examples([RH_MED, RH_IF], "verl")
    assert e.value.source == str(RH_IF) and e.value.row == 1


def test_principle_tags_make_the_tagged_llm_criteria_principles_and_leave_the_rest():
    """RuscaRL's real HealthBench rows: axis:completeness and axis:context_awareness are graded
    qualities (Principles), axis:accuracy stays a binary requirement (judged_kind: hard_rule)."""
    path = Path(__file__).resolve().parents[1] / "fixtures" / "layouts" / "ruscarl_healthbench_val.parquet"
    opts = LayoutOptions(principle_tags=("axis:completeness", "axis:context_awareness"))
    examples = load_examples(path, "verl", options=opts)
    kinds = {(c.kind, next(t for t in c.tags if t.startswith("axis:"))) for e in examples for c in e.rubric.criteria}
    assert kinds == {("hard_rule", "axis:accuracy"), ("principle", "axis:completeness"),
                     ("principle", "axis:context_awareness")}
    plain = load_examples(path, "verl")
    assert {c.kind for e in plain for c in e.rubric.criteria} == {"hard_rule"}
