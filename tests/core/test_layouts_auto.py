"""`data.format: auto` and the typed data options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf
from omegaconf.errors import ValidationError

from core.config import DataConf
from core.data import layout_options, load_examples, load_training_examples
from core.rubric import RubricFormatError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LAYOUTS = FIXTURES / "layouts"


@pytest.mark.parametrize(("path", "fmt"), [
    (LAYOUTS / "ruscarl_healthbench_val.parquet", "verl"),
    (LAYOUTS / "rubrichub_medical.parquet", "verl"),
    (LAYOUTS / "healthbench_hard_consensus.jsonl", "healthbench"),
    (LAYOUTS / "researchrubrics.jsonl", "researchrubrics"),
    (FIXTURES / "harness.jsonl", "harness"),
    (FIXTURES / "openrubrics.jsonl", "openrubrics"),
    (FIXTURES / "rar.jsonl", "rar"),
])
def test_auto_detects_each_layout_and_loads_the_same_examples(path, fmt):
    assert load_examples(path, "auto") == load_examples(path, fmt)
    assert load_examples(path, "auto")[0].meta.get("format", "harness") == fmt


@pytest.mark.parametrize(("row", "closest", "field"), [
    ({"prompt": [{"role": "user", "content": "q"}], "reward_model": {"rubrics": [{"criterion": "c"}]}},
     "verl", "reward_model.rubrics.0.points"),
    ({"prompt": "q", "rubrics": [{"criterion": "c"}]}, "healthbench", "rubrics.0.points"),
    ({"question": "q", "rubric": [{"title": "t", "weight": 1}]}, "rar", "rubric.0.description"),
])
def test_no_fit_names_the_closest_layout_and_the_missing_field(tmp_path, row, closest, field):
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps(row) + "\n")
    with pytest.raises(RubricFormatError) as e:
        load_examples(p, "auto")
    msg = str(e.value)
    assert e.value.row == 1 and e.value.field == field and "\n" not in msg
    assert f"closest is '{closest}'" in msg and "data.format" in msg


def test_layout_options_are_typed_and_reach_the_reader():
    cfg = OmegaConf.merge(OmegaConf.structured(DataConf), {
        "name": "rh", "path": str(LAYOUTS / "rubrichub_instruction_following.parquet"), "format": "auto",
        "judged_kind": "principle", "unknown_rules": "llm", "abilities": ["Instruction_Following"]})
    opts = layout_options(cfg)
    assert (opts.judged_kind, opts.unknown_rules, opts.abilities) == ("principle", "llm", ("Instruction_Following",))
    train, _ = load_training_examples(cfg)
    assert {k for e in train for k in e.rubric.kinds} == {"hard_rule", "principle"}
    for key, bad in (("judged_kind", "principal"), ("unknown_rules", "ignore"), ("format", "verll")):
        with pytest.raises(ValidationError, match=bad):
            OmegaConf.merge(OmegaConf.structured(DataConf), {"name": "x", key: bad})


def test_plain_configs_take_the_typed_defaults():
    opts = layout_options(OmegaConf.create({"name": "x"}))
    assert (opts.judged_kind, opts.unknown_rules, opts.abilities) == ("hard_rule", "error", None)


def test_a_hub_split_goes_through_the_one_reader_like_its_file(monkeypatch):
    """``data.hub_id`` without ``data_files``: the split ``datasets`` loads is read by ``load_examples``
    as a file is (``format: auto`` detected from its first row), and a repeated id fails naming it."""
    import datasets

    path = LAYOUTS / "researchrubrics.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    asked = {}

    def load_dataset(repo_id, split):
        asked.update(repo_id=repo_id, split=split)
        return list(rows)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    data = OmegaConf.create({"name": "rr", "path": None, "hub_id": "ScaleAI/researchrubrics", "split": "train",
                             "format": "auto", "limit": None, "heldout_fraction": 0.0})
    train, held = load_training_examples(data)
    assert asked == {"repo_id": "ScaleAI/researchrubrics", "split": "train"} and held == []
    assert train == load_examples(path, "researchrubrics")
    with pytest.raises(RubricFormatError, match=r"ScaleAI/researchrubrics\[train\].*duplicate id"):
        load_examples([("ScaleAI/researchrubrics[train]", rows + rows[:1])], "researchrubrics")
