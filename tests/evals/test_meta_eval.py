"""Human-label formats and simple-evals' meta-evaluation protocol (evals.meta_eval)."""

from __future__ import annotations

import json

import pytest

from core.config import REPO_ROOT
from evals.meta_eval import (
    MetaDataError,
    flip_rate,
    load_healthbench_meta,
    load_llmbar,
    physician_ceiling,
    physician_metrics,
    rater_metrics,
)

LLMBAR = REPO_ROOT / "tests" / "fixtures" / "real" / "llmbar" / "llmbar_sample.jsonl"
CONSTRUCTED = REPO_ROOT / "tests" / "fixtures" / "healthbench_meta_eval_constructed.jsonl"


def test_rater_metrics_by_hand():
    # pairs (own, other): (T,T) agree, (T,F) disagree, (F,F) agree
    m = rater_metrics([True, False], [[True, False], [False]])
    assert m["precision_pos"] == 0.5 and m["recall_pos"] == 1.0  # 1 of 2 said-met pairs; 1 of 1 truly-met
    assert m["precision_neg"] == 1.0 and m["recall_neg"] == 0.5
    assert m["f1_pos"] == pytest.approx(2 / 3) and m["f1_neg"] == pytest.approx(2 / 3)
    assert m["f1_balanced"] == pytest.approx(2 / 3) and m["pairs"] == 3


def test_balanced_f1_is_none_when_a_class_never_occurs_and_one_when_all_agree():
    assert rater_metrics([True, True], [[True], [True]])["f1_balanced"] is None  # no "not met" anywhere
    assert rater_metrics([True, False], [[True, True], [False]])["f1_balanced"] == 1.0


def test_a_rater_that_always_says_met_scores_below_one_that_agrees():
    others = [[True, True], [False, False], [True, False], [False]]
    always = rater_metrics([True] * 4, others)["f1_balanced"]
    majority = rater_metrics([True, False, True, False], others)["f1_balanced"]
    assert always is None or always < majority


def test_constructed_rows_load_in_the_real_format_and_give_a_ceiling():
    rows = load_healthbench_meta(CONSTRUCTED)
    assert len(rows) == 8 and rows[0].question.startswith("user: I twisted my ankle")
    assert rows[0].labels == (True, True, True) and rows[0].physicians[0] == "constructed-physician-1"
    per = physician_metrics(rows)
    assert set(per) == {"constructed-physician-1", "constructed-physician-2", "constructed-physician-3"}
    ceiling = physician_ceiling(rows)
    assert ceiling["physicians"] == 3 and 0.5 < ceiling["mean"] < 1.0  # they mostly but not always agree
    assert load_healthbench_meta(CONSTRUCTED, limit=2) == rows[:2]


def test_the_llmbar_sample_is_real_rows_with_balanced_labels():
    pairs = load_llmbar(LLMBAR)
    assert len(pairs) == 20 and sum(p.label == 1 for p in pairs) == 10
    assert {p.set for p in pairs} == {"Natural", "Adversarial/Neighbor", "Adversarial/GPTInst",
                                      "Adversarial/GPTOut", "Adversarial/Manual"}  # fmt: skip
    assert pairs[0].question == "Generate two rhymes for the following word. Moon"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"completion": "c", "rubric": "r", "binary_labels": [True], "anonymized_physician_ids": ["p"]},
         "row.jsonl:1: field 'prompt' missing"),
        ({"prompt": [{"role": "user", "content": "q"}], "completion": "c", "rubric": "r",
          "binary_labels": ["yes"], "anonymized_physician_ids": ["p"]}, "field 'binary_labels' must be"),
        ({"prompt": [{"role": "user", "content": "q"}], "completion": "c", "rubric": "r",
          "binary_labels": [True, False], "anonymized_physician_ids": ["p"]}, "has 1 ids for 2 labels"),
    ],
)  # fmt: skip
def test_bad_healthbench_rows_fail_in_one_line(tmp_path, row, message):
    path = tmp_path / "row.jsonl"
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(MetaDataError, match=message) as e:
        load_healthbench_meta(path)
    assert "\n" not in str(e.value)


def test_bad_llmbar_rows_fail_in_one_line(tmp_path):
    path = tmp_path / "dataset.json"
    path.write_text(json.dumps([{"input": "i", "output_1": "a", "output_2": "b", "label": 3}]))
    with pytest.raises(MetaDataError, match=r"dataset.json:1: field 'label' must be 1 or 2"):
        load_llmbar(path)
    path.write_text(json.dumps([{"input": "i", "output_1": "a", "output_2": "b", "label": True}]))
    with pytest.raises(MetaDataError, match="field 'label' has type bool"):
        load_llmbar(path)


def test_flip_rate_leaves_out_unscorable_items():
    assert flip_rate([True, False, None, 1], [True, True, False, 1]) == pytest.approx(1 / 3)
    assert flip_rate([None], [True]) is None
