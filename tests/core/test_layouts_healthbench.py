"""HealthBench rows as training data, and the check that training never sees the evaluation prompts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from core.config import DataConf
from core.data import load_examples, load_training_examples
from core.layouts import LayoutOptions
from core.rubric import RubricFormatError

LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
HB = LAYOUTS / "healthbench_hard_consensus.jsonl"
RUSCARL = LAYOUTS / "ruscarl_healthbench_val.parquet"
EVAL_FIXTURE = Path(__file__).resolve().parents[2] / "evals/benchmarks/healthbench/fixtures/healthbench.jsonl"


def raw(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def test_real_rows_load_as_conversations_with_points_and_tags():
    rows, ex = raw(HB), load_examples(HB, "healthbench")
    assert [e.id for e in ex] == [r["prompt_id"] for r in rows]
    for r, e in zip(rows, ex, strict=True):
        assert e.messages == [{"role": m["role"], "content": m["content"]} for m in r["prompt"]]
        assert [c.points for c in e.rubric.criteria] == [float(i["points"]) for i in r["rubrics"]]
        assert [c.tags for c in e.rubric.criteria] == [tuple(i["tags"]) for i in r["rubrics"]]
        assert e.meta["example_tags"] == r["example_tags"]
    assert len(ex[1].messages) == 3
    assert set(load_examples(HB, "healthbench", options=LayoutOptions(judged_kind="principle"))[0].rubric.kinds) == {
        "principle"}


def test_the_eval_fixture_keeps_its_checks_and_negative_points():
    ex = load_examples(EVAL_FIXTURE, "healthbench")
    crit = [c for e in ex for c in e.rubric.criteria]
    assert all(c.check is not None for c in crit)
    assert any(c.points < 0 for c in crit)


def test_bad_rows_name_file_row_and_field(tmp_path):
    good, bad = raw(HB)[0], raw(HB)[1]
    bad["rubrics"][1]["points"] = "five"
    p = tmp_path / "hb.jsonl"
    p.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(RubricFormatError, match=rf"^{p}:2: field 'rubrics.1.points': expected a number$"):
        load_examples(p, "healthbench")


def _data(**kw):
    return OmegaConf.merge(OmegaConf.structured(DataConf), {"name": "healthbench_train", **kw})


def test_training_on_prompts_of_the_eval_set_fails_fast_by_text():
    """RuscaRL's split has no prompt ids; two of its rows are HealthBench rows of the eval file."""
    data = _data(path=str(RUSCARL), format="verl", exclude_path=str(HB), exclude_format="healthbench")
    with pytest.raises(RubricFormatError) as e:
        load_training_examples(data)
    msg = str(e.value)
    assert msg.startswith(f"{RUSCARL}:4: field 'prompt': 2 training prompts are in the evaluation set {HB}")
    assert "prompt text" in msg and "\n" not in msg


def test_training_on_prompts_of_the_eval_set_fails_fast_by_id(tmp_path):
    row = raw(HB)[2]
    row["prompt"] = [{"role": "user", "content": "A different wording of the same item."}]
    p = tmp_path / "train.jsonl"
    p.write_text(json.dumps(row) + "\n")
    with pytest.raises(RubricFormatError, match=rf"prompt id '{row['prompt_id']}'"):
        load_training_examples(_data(path=str(p), format="healthbench", exclude_path=str(HB)))


def test_disjoint_training_data_loads(tmp_path):
    train, held = load_training_examples(_data(path=str(EVAL_FIXTURE), format="healthbench", exclude_path=str(HB)))
    assert len(train) == len(raw(EVAL_FIXTURE)) and held == []
