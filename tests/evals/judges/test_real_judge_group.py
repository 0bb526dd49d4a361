"""The real local judge in group mode on a HealthBench-sized group: one request, every verdict valid.

paper_mini's longest training rubric (23 criteria) and three rollouts in one call: about 2,300
prompt tokens for three verdicts (rubric mode sends about 2,200 per verdict). Slow: one server
start and one long request on 2 cores.
"""

from __future__ import annotations

import pytest

from core.data import load_training_examples
from evals.judges.base import JudgeRequest
from evals.judges.openai_judge import OpenAIJudge
from harness.compose import compose_sweep
from harness.models.judge_server import local_judge_server
from harness.models.resolve import MissingExtraError

pytestmark = pytest.mark.slow

ANSWERS = [
    "It depends on the person. Please see a doctor before taking any medicine.",
    "Drink water, rest and take a painkiller; if it does not get better in a few days, see a doctor.",
    "Call emergency services now if you have chest pain or trouble breathing.",
]


def test_a_group_of_three_on_a_23_criterion_rubric_gets_valid_verdicts_in_one_request():
    cfg, _ = compose_sweep(["experiment=paper_mini", "hydra.mode=RUN"])
    train, held = load_training_examples(cfg.data)
    ex = max(train + held, key=lambda e: len(e.rubric))
    assert len(ex.rubric) == 23 and "principle" in ex.rubric.kinds
    try:
        cm = local_judge_server("smollm2_135m")
        url = cm.__enter__()
    except MissingExtraError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        # judge=local's settings (conf/judge/local.yaml), with judge.mode=group
        with OpenAIJudge(base_url=url, model="smollm2_135m", mode="group", json_mode="json_schema",
                         dialect="llamacpp", max_tokens=256, max_retries=0, retry_invalid=False,
                         cache=False, concurrency=1, timeout=600.0) as j:  # fmt: skip
            out = j.judge([JudgeRequest(ex.question, ex.rubric, a) for a in ANSWERS])
            assert j.counters["invalid_replies"] == 0, [o.rationale for o in out]
            assert j.counters["requests"] == 1 and j.counters["prompt_tokens"] > 0
    finally:
        cm.__exit__(None, None, None)
    assert len(out) == 3
    for o in out:
        assert o.unscorable == 0 and o.prompt_version == "group-v1"
        for kind, s in zip(ex.rubric.kinds, o.scores, strict=True):
            assert isinstance(s, bool) if kind == "hard_rule" else (type(s) is int and 0 <= s <= 10)
