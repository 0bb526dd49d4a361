"""The real local judge on paper_mini's longest training rubric (23 criteria): every verdict valid.

Before the ``enum`` spelling of Principle scores, SmolLM2 under llama.cpp's grammar wrote criterion
numbers as scores on this rubric and every reply was invalid (perf/judge_validity.py). Slow: one
server start and two requests of about 3,000 prompt tokens on 2 cores.
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
]


def test_a_23_criterion_rubric_gets_valid_verdicts_from_the_real_judge():
    cfg, _ = compose_sweep(["experiment=paper_mini", "hydra.mode=RUN"])  # its data, with its Principle tags
    train, held = load_training_examples(cfg.data)
    ex = max(train + held, key=lambda e: len(e.rubric))
    assert len(ex.rubric) == 23 and "principle" in ex.rubric.kinds
    try:
        cm = local_judge_server("smollm2_135m")
        url = cm.__enter__()
    except MissingExtraError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        # judge=local's settings (conf/judge/local.yaml)
        with OpenAIJudge(base_url=url, model="smollm2_135m", mode="rubric", json_mode="json_schema",
                         dialect="llamacpp", max_tokens=256, max_retries=0, retry_invalid=False,
                         cache=False, concurrency=1, timeout=300.0) as j:  # fmt: skip
            out = j.judge([JudgeRequest(ex.question, ex.rubric, a) for a in ANSWERS])
            assert j.counters["invalid_replies"] == 0, [o.rationale for o in out]
    finally:
        cm.__exit__(None, None, None)
    for o in out:
        assert o.unscorable == 0
        for kind, s in zip(ex.rubric.kinds, o.scores, strict=True):
            assert isinstance(s, bool) if kind == "hard_rule" else (type(s) is int and 0 <= s <= 10)
