"""``python -m harness.tools.judge_meta`` end to end: Hydra-composed judges on the committed samples.

The loopback server (tests.support.testserver) answers with a scorer that knows the human labels
(the physicians' majority; the better LLMBar output meets the Hard Rule), so the expected figures
are computed independently; a real judge (judge=local, SmolLM2 on llama.cpp) runs on a handful
of items under the same command.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from core.config import REPO_ROOT
from core.rubric import Rubric
from evals.meta_eval import load_healthbench_meta, load_llmbar, rater_metrics
from harness.tools.judge_meta import main
from tests.support.testserver import Fault, JudgeTestServer, stand_in_score

pytestmark = pytest.mark.slow

LLMBAR = REPO_ROOT / "tests" / "fixtures" / "real" / "llmbar" / "llmbar_sample.jsonl"
HB = REPO_ROOT / "tests" / "fixtures" / "healthbench_meta_eval_constructed.jsonl"


def _majority(labels) -> bool:
    return Counter(labels).most_common(1)[0][0] if labels.count(True) != labels.count(False) else True


def _knowing_scorer():
    hb = {(r.criterion, r.completion): _majority(list(r.labels)) for r in load_healthbench_meta(HB)}
    better = {p.output_1 if p.label == 1 else p.output_2 for p in load_llmbar(LLMBAR)}

    def score(question: str, rubric: Rubric, response: str) -> list:
        out: list = []
        for c in rubric.criteria:
            if (c.text, response) in hb:
                out.append(hb[(c.text, response)])
            elif c.kind == "hard_rule" and c.text.startswith("The output precisely executes"):
                out.append(response in better)
            elif c.kind == "principle":
                out.append(5)
            else:
                out.append(stand_in_score(c, response))
        return out

    return score


def _rows(text: str) -> dict[str, list[str]]:
    out = {}
    for line in text.splitlines():
        if line.startswith("| HealthBench") or line.startswith("| LLMBar"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            out[cells[0].split(",")[0]] = cells[1:]
    return out


def _run(capsys, srv: JudgeTestServer, *extra: str) -> dict[str, list[str]]:
    code = main([f"--healthbench={HB}", f"--llmbar={LLMBAR}", "judge=openai", f"judge.base_url={srv.url}",
                 "judge.model=loopback-judge", "judge.require_api_key=false", "judge.backoff_base=0.001", *extra])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    return _rows(out)


@pytest.mark.parametrize("mode", ["rubric", "pairwise"])
def test_judge_meta_grades_a_judge_against_the_human_labels(capsys, mode):
    with JudgeTestServer(scorer=_knowing_scorer()) as srv:
        rows = _run(capsys, srv, f"judge.mode={mode}")
    meta = load_healthbench_meta(HB)
    expected = rater_metrics([_majority(list(r.labels)) for r in meta], [list(r.labels) for r in meta])
    hb = rows["HealthBench meta-eval"]
    assert hb[:3] == ["8", "100.0%", f"{expected['f1_balanced']:.3f}"]
    assert 0 < float(hb[3]) < 1 and hb[4] == "0.0%" and hb[5] == "-"  # ceiling; asked again; no swap
    llm = rows["LLMBar"]
    assert llm[:3] == ["20", "100.0%", "1.000 (ties 0%)"] and llm[4] == "0.0%"
    assert llm[5] == ("0.0%" if mode == "pairwise" else "-")  # the swap only where both go in one call


def test_judge_meta_counts_a_failed_verdict_and_never_scores_it(capsys):
    with JudgeTestServer(scorer=_knowing_scorer()) as srv:
        # one call at a time, in order: the probe, the 8 HealthBench rows, then the first LLMBar output
        srv.inject(*([Fault("latency", seconds=0.0)] * 9), "malformed")
        rows = _run(capsys, srv, "judge.mode=rubric", "judge.max_retries=0", "judge.concurrency=1", "--once")
    llm = rows["LLMBar"]
    assert llm[:3] == ["20", "95.0%", "1.000 (ties 0%)"] and llm[4] == "-"


def test_judge_meta_bad_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "dataset.json"
    bad.write_text('[{"input": "i", "output_1": "a", "output_2": "b", "label": 0}]')
    assert main([f"--llmbar={bad}", "judge=rules"]) == 2
    err = capsys.readouterr().err.strip()
    assert re.fullmatch(r"error: .*dataset\.json:1: field 'label' must be 1 or 2, got 0", err)


def test_judge_meta_with_the_real_local_judge(capsys):
    """judge=local as configured (SmolLM2-135M, rubric mode, json_schema), served for the run."""
    code = main([f"--llmbar={LLMBAR}", "--limit=1", "judge=local"])
    out = capsys.readouterr().out
    assert code == 0, out
    llm = _rows(out)["LLMBar"]
    assert llm[0] == "1" and llm[1] == "100.0%"  # every verdict valid under the schema
    assert 0.0 <= float(llm[2].split()[0]) <= 1.0 and llm[4] == "0.0%"  # temperature 0: asking again changes nothing
