"""ResearchRubrics rows: signed weights stay signed, axis and domain become tag families."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.data import load_examples
from core.rubric import RubricFormatError

RR = Path(__file__).resolve().parents[1] / "fixtures" / "layouts" / "researchrubrics.jsonl"


def raw() -> list[dict]:
    return [json.loads(line) for line in RR.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_rows_load_with_negative_weights_kept_as_penalties():
    rows, ex = raw(), load_examples(RR, "researchrubrics")
    assert [e.id for e in ex] == [r["sample_id"] for r in rows]
    for r, e in zip(rows, ex, strict=True):
        assert e.prompt == r["prompt"]
        assert len(e.rubric) == len(r["rubrics"])
        assert [c.weight for c in e.rubric.criteria] == [i["weight"] for i in r["rubrics"]]
        assert all(c.points is None for c in e.rubric.criteria)
        assert e.meta["domain"] == r["domain"] and e.meta["exploration"] == r["exploration"]
    c = ex[0].rubric.criteria
    assert [x.weight < 0 for x in c].count(True) == 2
    assert c[3].tags == ("domain:general_consumer_research", "axis:references_&_citation_quality")


def test_a_missing_weight_names_the_item(tmp_path):
    r = raw()[1]
    del r["rubrics"][2]["weight"]
    p = tmp_path / "rr.jsonl"
    p.write_text(json.dumps(r) + "\n")
    with pytest.raises(RubricFormatError, match=rf"^{p}:1: field 'rubrics.2.weight': expected a number$"):
        load_examples(p, "researchrubrics")
