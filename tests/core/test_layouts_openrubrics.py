"""OpenRubrics: the kind is the tag that closes a line; bracketed words elsewhere are text (issue 28, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.data import load_examples
from core.layouts.classic import parse_openrubrics_text
from core.rubric import RubricFormatError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_issue_row_with_a_tag_inside_the_text_parses():
    (item,) = parse_openrubrics_text("1. Explains why a [Principle] tag differs from a rule. [Principle]")
    assert item == {"text": "Explains why a [Principle] tag differs from a rule.", "kind": "principle"}
    (item,) = parse_openrubrics_text("1. Says when a [hard rule] applies. [Hard Rule]")
    assert item["kind"] == "hard_rule" and item["text"] == "Says when a [hard rule] applies."


def test_the_trailing_tag_decides_even_when_another_kind_is_named_earlier():
    (item,) = parse_openrubrics_text("1. Quotes the [Hard Rule] label verbatim. [Principle]")
    assert item["kind"] == "principle" and item["text"] == "Quotes the [Hard Rule] label verbatim."


def test_a_tag_only_inside_the_text_is_not_a_kind():
    with pytest.raises(ValueError, match="does not end in"):
        parse_openrubrics_text("1. Uses the [Principle] tag correctly.")


def test_two_tags_in_the_kind_position_are_ambiguous():
    with pytest.raises(ValueError, match="more than one kind tag"):
        parse_openrubrics_text("1. An item. [Principle] [Hard Rule]")
    with pytest.raises(ValueError, match="more than one kind tag"):
        parse_openrubrics_text("1. An item. [Principle]\n   continued. [Hard Rule]")


def test_existing_fixture_still_parses_the_same():
    ex = load_examples(FIXTURES / "openrubrics.jsonl", "openrubrics")
    assert [e.rubric.kinds for e in ex] == [("hard_rule", "hard_rule", "principle", "principle"),
                                            ("hard_rule", "principle", "principle"),
                                            ("hard_rule", "hard_rule", "principle")]
    assert ex[1].rubric.criteria[2].text == "The response should have a clear emotional tone."


def test_issue_row_through_the_loader(tmp_path):
    rubric = ("1. Explains why a [Principle] tag differs from a rule. [Principle]\n"
              "2. Is at most three sentences. [Hard Rule]")
    p = tmp_path / "or.jsonl"
    p.write_text(json.dumps({"id": "x", "instruction": "What is a rubric tag?", "rubric": rubric}) + "\n")
    (ex,) = load_examples(p, "openrubrics")
    assert ex.rubric.kinds == ("principle", "hard_rule")
    assert ex.rubric.criteria[0].text.startswith("Explains why a [Principle] tag")
    p.write_text(json.dumps({"id": "x", "instruction": "q", "rubric": "1. A [Principle] in the text."}) + "\n")
    with pytest.raises(RubricFormatError, match=r"or.jsonl:1: field 'rubric': item 1 .* does not end in"):
        load_examples(p, "openrubrics")
