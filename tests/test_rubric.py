"""Rubric loaders: every format parses; malformed rows fail with file, row and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.rubric import Rubric, RubricFormatError, load_examples, parse_openrubrics_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_openrubrics_fixture_parses():
    ex = load_examples(FIXTURES / "openrubrics.jsonl", "openrubrics")
    assert [e.id for e in ex] == ["or-1", "or-2", "or-3"]
    first = ex[0].rubric.criteria
    assert [c.kind for c in first] == ["hard_rule", "hard_rule", "principle", "principle"]
    assert first[0].text == "The response must explain the phenomenon using Rayleigh scattering."
    assert ex[0].question == "Explain why the sky is blue in two sentences."
    # "3)" numbering and a lower-case tag are accepted
    assert ex[1].rubric.kinds == ("hard_rule", "principle", "principle")


def test_rar_fixture_parses_with_signed_weights():
    ex = load_examples(FIXTURES / "rar.jsonl", "rar")
    assert len(ex) == 2
    c = ex[0].rubric.criteria
    assert [x.weight for x in c] == [5.0, 4.0, 1.0, -2.0]
    assert [x.kind for x in c] == ["hard_rule", "principle", "principle", "hard_rule"]
    assert c[0].text == "Identifies acute myocardial infarction as the most likely diagnosis."
    assert "rar:pitfall" in c[3].tags and "title:Avoids delay" in c[3].tags
    assert ex[0].id == "rar-1"


def test_harness_fixture_parses_and_roundtrips():
    ex = load_examples(FIXTURES / "harness.jsonl")
    assert ex[0].messages[0] == {"role": "system", "content": "Be brief."}
    assert ex[0].question == "Say hi."
    assert ex[1].messages == [{"role": "user", "content": "Name a color."}]
    assert ex[0].rubric.criteria[1].weight == 2.0
    assert Rubric.from_json(ex[0].rubric.to_json()) == ex[0].rubric


def test_openrubrics_text_parser_rejects_untagged_items():
    with pytest.raises(ValueError, match="does not end in"):
        parse_openrubrics_text("1. A criterion without a tag")


GOOD_H = {"id": "a", "prompt": "p", "rubric": [{"text": "t", "kind": "hard_rule"}]}
GOOD_RAR = {"question": "q", "rubric": [{"title": "x", "description": "Essential Criteria: y", "weight": 5}]}

MALFORMED = [
    # (format, rows as raw lines, expected row, expected field)
    ("harness", ["{not json"], 1, "<json>"),
    ("harness", [json.dumps(GOOD_H), json.dumps({**GOOD_H, "id": "b", "prompt": ""})], 2, "prompt"),
    ("harness", [json.dumps({**GOOD_H, "rubric": [{"text": "t", "kind": "rule"}]})], 1, "rubric.0.kind"),
    ("harness", [json.dumps({**GOOD_H, "rubric": [{"text": " ", "kind": "principle"}]})], 1, "rubric.0.text"),
    ("harness", [json.dumps({**GOOD_H, "rubric": []})], 1, "rubric"),
    ("harness", [json.dumps({**GOOD_H, "rubric": [{"text": "t", "kind": "hard_rule", "colour": 1}]})], 1, "rubric.0.colour"),
    ("harness", [json.dumps({**GOOD_H, "rubric": [{"text": "t", "kind": "hard_rule", "check": {"value": 1}}]})], 1, "rubric.0.check"),
    ("harness", [json.dumps(GOOD_H), json.dumps(GOOD_H)], 2, "id"),
    ("harness", ["[1, 2]"], 1, "<row>"),
    ("harness", [json.dumps({**GOOD_H, "rubric": [{"text": "t", "kind": "hard_rule", "weight": "heavy"}]})], 1, "rubric.0.weight"),
    ("openrubrics", [json.dumps({"instruction": "q", "rubric": "1. Be nice."})], 1, "rubric"),
    ("openrubrics", [json.dumps({"rubric": "1. Be nice. [Principle]"})], 1, "prompt"),
    ("openrubrics", [json.dumps({"prompt": "q", "rubric": ["1. a [Principle]"]})], 1, "rubric"),
    ("rar", [json.dumps(GOOD_RAR), json.dumps({"question": "q", "rubric": [{"title": "x", "weight": 5}]})], 2, "rubric.0.description"),
    ("rar", [json.dumps({"question": "q", "rubric": [{"description": "Important Criteria: y", "weight": "5"}]})], 1, "rubric.0.weight"),
    ("rar", [json.dumps({"question": "q", "rubric": [{"description": "Pitfall Criteria: y", "weight": 2}]})], 1, "rubric.0.weight"),
    ("rar", [json.dumps({"question": "q", "rubric": "not a list"})], 1, "rubric"),
    ("rar", [json.dumps({"rubric": GOOD_RAR["rubric"]})], 1, "question"),
]


@pytest.mark.parametrize(("fmt", "lines", "row", "field"), MALFORMED)
def test_malformed_rows_raise_one_clear_line(tmp_path, fmt, lines, row, field):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RubricFormatError) as info:
        load_examples(path, fmt)
    err = info.value
    assert (err.row, err.field) == (row, field)
    msg = str(err)
    assert "\n" not in msg
    assert msg.startswith(f"{path}:{row}: field '{field}':")


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such rubric file"):
        load_examples(tmp_path / "nope.jsonl")
    (tmp_path / "x.jsonl").write_text(json.dumps(GOOD_H) + "\n")
    with pytest.raises(ValueError, match="unknown rubric format"):
        load_examples(tmp_path / "x.jsonl", "csv")


def test_bundled_toy_data_is_large_and_mixed():
    from core.data import resolve_path
    from core.rubric import iter_kinds

    ex = load_examples(resolve_path("assets:toy.jsonl"))
    assert len(ex) >= 64
    kinds = iter_kinds(ex)
    assert kinds["hard_rule"] > 0 and kinds["principle"] > 0
    assert all(c.check is not None for e in ex for c in e.rubric.criteria)
