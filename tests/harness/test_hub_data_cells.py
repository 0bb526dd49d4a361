"""The published training layouts through ``data=...`` in a composed run: one smoke cell per hub config
on its real-layout sample (tests/fixtures/layouts/SOURCES.md), trained by GRPO and scored on its own
held-out row.

The LLM judge here is the loopback OpenAI-compatible server (tests.support.testserver, real HTTP):
these cells check the data path (layout, kinds, signs, tags into the per-rubric metrics) and the
mixed judge's routing inside a run. The real llama.cpp judge inside the loop is paper_mini's test;
its replies are the real-judge tests'.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.judges.prompts import parse_prompt
from harness.records.store import read_jsonl
from tests.support.resume_util import cell_overrides, run_in_process
from tests.support.testserver import JudgeTestServer

pytestmark = pytest.mark.slow
LAYOUTS = "tests/fixtures/layouts"
SMALL = ["experiment=smoke", "benchmark=toy_heldout", "data.heldout_fraction=0.5", "train.max_steps=1",
         "train.per_device_train_batch_size=2", "train.num_generations=2", "tracking=none"]

CELLS = {  # hub config -> (its sample, the judge, a tag the layout gives every criterion)
    "rubrichub": (f"{LAYOUTS}/rubrichub_instruction_following.parquet", "mixed", "ability:instruction_following"),
    "rubrichub_medical": (f"{LAYOUTS}/rubrichub_medical.parquet", "local", "ability:medical"),
    "researchrubrics": (f"{LAYOUTS}/researchrubrics.jsonl", "local", "axis:"),
    "healthbench_train": (f"{LAYOUTS}/healthbench_hard_consensus.jsonl", "local", "axis:"),
}


@pytest.mark.parametrize("cell", list(CELLS))
def test_each_hub_config_trains_a_cell_on_its_sample(cell, tmp_path, tiny_cache):
    path, judge, tag = CELLS[cell]
    data = cell.removesuffix("_medical")
    with JudgeTestServer() as srv:
        url_key = "judge.llm.base_url" if judge == "mixed" else "judge.base_url"
        extra = [f"data={data}", f"data.path={path}", f"judge={judge}", f"{url_key}={srv.url}", *SMALL]
        if data == "healthbench_train":  # its held-out guard: never a prompt of the HealthBench benchmark
            extra.append("data.exclude_path=evals/benchmarks/healthbench/fixtures/healthbench.jsonl")
        result = run_in_process(cell_overrides(tmp_path / "runs", tiny_cache, extra))
        asked = [parse_prompt(e["messages"])["rubric"] for e in srv.log]
    assert result["n_items"] >= 1 and 0.0 <= result["score"] <= 1.0
    assert result["choices"]["data"] == data and result["train"]["steps"] == 1
    (train,) = [r for r in read_jsonl(Path(result["policy_dir"]) / "metrics.jsonl") if r["phase"] == "train"]
    assert train["judge/judgments"] > 0 and train["judge/unscorable_fraction"] == 0.0
    # per-rubric satisfaction by the layout's own dimensions (ability / axis), as W&B logs every train metric
    assert any(k.startswith(f"satisfaction/tag/{tag}") for k in train), sorted(train)
    assert any(k.startswith(f"dim/{tag}") for k in result["metrics"]), sorted(result["metrics"])
    if judge == "mixed":  # rule items by the rules judge; the LLM server never saw an item with a check
        assert train["judge/rules/requests"] > 0 and result["judge"]["judge/rules/requests"] > 0
        from core.data import load_examples
        from core.layouts import LayoutOptions

        rows = load_examples(path, "verl", options=LayoutOptions(unknown_rules="llm"))
        checked = {c.text for e in rows for c in e.rubric.criteria if c.check is not None}
        assert checked and asked and not checked & {c.text for rb in asked for c in rb.criteria}
