"""Rubric loaders: every format parses; malformed rows fail with file, row and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.data import load_examples
from core.layouts import LayoutOptions
from core.layouts.classic import parse_openrubrics_text
from core.rubric import Rubric, RubricFormatError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


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


# ----------------------------------------------------------------------------- the one reader (issue 16)


def test_jsonl_splits_on_newline_only_so_u2028_inside_strings_loads(tmp_path):
    from core.layouts import read_rows

    p = tmp_path / "q.jsonl"
    rows = [{"id": "a", "prompt": "line one\u2028line two\u2029end\x85x\x1cy", "rubric": [{"text": "t", "kind": "principle"}]},
            {"id": "b", "prompt": "p", "rubric": [{"text": "t", "kind": "principle"}]}]
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in rows), encoding="utf-8")
    assert len(p.read_text(encoding="utf-8").splitlines()) > 2
    assert read_rows(p) == rows
    assert [e.id for e in load_examples(p)] == ["a", "b"]


def test_reader_errors_are_one_line_naming_file_row_and_field(tmp_path):
    from core.layouts import read_rows

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    with pytest.raises(RubricFormatError) as e:
        read_rows(bad)
    assert "\n" not in str(e.value) and str(e.value).startswith(f"{bad}:2: field '<json>': not valid JSON")
    binary = tmp_path / "data.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    with pytest.raises(RubricFormatError, match=r"data.jsonl:1: field '<file>': not UTF-8 text \(byte 0\)"):
        read_rows(binary)


def test_parquet_rows_drop_the_null_fields_parquet_adds(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.layouts import read_rows

    rows = [{"id": "a", "prompt": "p", "rubric": [{"text": "t", "kind": "hard_rule", "weight": 2.0}]},
            {"id": "b", "prompt": "q", "rubric": [{"text": "u", "kind": "principle"}]}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "x.parquet")
    assert read_rows(tmp_path / "x.parquet") == rows
    assert load_examples(tmp_path / "x.parquet")[1].rubric.criteria[0].weight is None


def test_openrubrics_item_text_wrapping_onto_continuation_lines():
    items = parse_openrubrics_text(
        "1. The response must name the capital of France\n   and spell it correctly. [Hard Rule]\n"
        "2. The response should be polite\n[Principle]\n"
        "3. The response should be brief. [Principle]\n   (one sentence is enough)")
    assert [i["kind"] for i in items] == ["hard_rule", "principle", "principle"]
    assert items[0]["text"] == "The response must name the capital of France and spell it correctly."
    assert items[1]["text"] == "The response should be polite"
    assert items[2]["text"] == "The response should be brief. (one sentence is enough)"
    with pytest.raises(ValueError, match="before the first numbered item"):
        parse_openrubrics_text("stray text\n1. An item. [Principle]")
    with pytest.raises(ValueError, match="more than one kind tag"):
        parse_openrubrics_text("1. An item. [Principle] [Hard Rule]")


RAR_MIXED = {"question": "q", "rubric": [
    {"title": "a", "description": "Essential Criteria: States the dose.", "weight": 5},
    {"title": "b", "description": "Pitfall Criteria: Recommends waiting at home.", "weight": -2},
    {"title": "c", "description": "Pitfall Criteria: Does not mention the risk of overdose.", "weight": -1},
    {"title": "d", "description": "Pitfall Criteria: The response should not neglect the allergy.", "weight": -1},
]}


def _rar_file(tmp_path, n=2) -> Path:
    p = tmp_path / "rar.jsonl"
    p.write_text("".join(json.dumps({**RAR_MIXED, "id": f"r{k}"}) + "\n" for k in range(n)), encoding="utf-8")
    return p


def test_rar_pitfall_polarity_present_keeps_negative_weights_and_warns_once(tmp_path, caplog):
    with caplog.at_level("WARNING", logger="core.rubric"):
        ex = load_examples(_rar_file(tmp_path), "rar", options=LayoutOptions(pitfall_polarity="present"))
    assert [c.weight for c in ex[0].rubric.criteria] == [5.0, -2.0, -1.0, -1.0]
    msgs = [r.getMessage() for r in caplog.records]
    assert len(msgs) == 1  # once per file, not once per row
    assert "4 of 6 pitfall items are worded as 'absent' but data.pitfall_polarity=present" in msgs[0]
    assert "row 1 item 2: 'Does not mention the risk of overdose.'" in msgs[0]


def test_rar_pitfall_polarity_absent_makes_met_mean_avoided(tmp_path, caplog):
    with caplog.at_level("WARNING", logger="core.rubric"):
        ex = load_examples(_rar_file(tmp_path, 1), "rar", options=LayoutOptions(pitfall_polarity="absent"))
    c = ex[0].rubric.criteria
    assert [x.weight for x in c] == [5.0, 2.0, 1.0, 1.0] and all("rar:pitfall" in x.tags for x in c[1:])
    assert ex[0].meta["pitfall_polarity"] == "absent"
    (msg,) = [r.getMessage() for r in caplog.records]
    assert "1 of 3 pitfall items are worded as 'present'" in msg and "Recommends waiting" in msg


def test_pitfall_polarity_is_a_typed_data_option():
    from omegaconf import OmegaConf
    from omegaconf.errors import ValidationError

    from core.config import DataConf
    from core.data import load_training_examples

    cfg = OmegaConf.merge(OmegaConf.structured(DataConf), {"name": "rar", "path": str(FIXTURES / "rar.jsonl"),
                                                             "format": "rar", "pitfall_polarity": "absent"})
    train, _ = load_training_examples(cfg)
    assert all((c.weight or 0) > 0 for e in train for c in e.rubric.criteria)
    with pytest.raises(ValidationError, match="absnt"):
        OmegaConf.merge(OmegaConf.structured(DataConf), {"name": "x", "pitfall_polarity": "absnt"})
