"""The real local judge on paper_mini's longest training rubric (23 criteria): every verdict valid, in
rubric mode (a request per answer) and in group mode (two answers in one request).

Before the ``enum`` spelling of Principle scores, SmolLM2 under llama.cpp's grammar wrote criterion
numbers as scores on this rubric and every reply was invalid (perf/judge_validity.py). Slow: one
server start for the module, then two requests of about 2,200 prompt tokens each on 2 cores.
"""

from __future__ import annotations

from collections.abc import Iterator

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


@pytest.fixture(scope="module")
def longest():
    """paper_mini's data, with its Principle tags: the example with the longest rubric."""
    cfg, _ = compose_sweep(["experiment=paper_mini", "hydra.mode=RUN"])
    train, held = load_training_examples(cfg.data)
    ex = max(train + held, key=lambda e: len(e.rubric))
    assert len(ex.rubric) == 23 and "principle" in ex.rubric.kinds
    return ex


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """The packaged SmolLM2 under llama.cpp's server, started once for both modes."""
    try:
        cm = local_judge_server("smollm2_135m")
        served = cm.__enter__()
    except MissingExtraError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield served
    finally:
        cm.__exit__(None, None, None)


def _judge(url: str, mode: str) -> OpenAIJudge:
    """judge=local's settings (conf/judge/local.yaml), in ``mode``."""
    return OpenAIJudge(base_url=url, model="smollm2_135m", mode=mode, json_mode="json_schema", dialect="llamacpp",
                       max_tokens=256, max_retries=0, retry_invalid=False, cache=False, concurrency=1,
                       timeout=600.0)  # fmt: skip


def _check_scores(ex, out) -> None:
    for o in out:
        assert o.unscorable == 0
        for kind, s in zip(ex.rubric.kinds, o.scores, strict=True):
            assert isinstance(s, bool) if kind == "hard_rule" else (type(s) is int and 0 <= s <= 10)


def test_a_23_criterion_rubric_gets_valid_verdicts_from_the_real_judge(longest, url):
    with _judge(url, "rubric") as j:
        out = j.judge([JudgeRequest(longest.question, longest.rubric, ANSWERS[1])])
        assert j.counters["invalid_replies"] == 0, [o.rationale for o in out]
    _check_scores(longest, out)


def test_a_group_of_two_on_a_23_criterion_rubric_gets_valid_verdicts_in_one_request(longest, url):
    with _judge(url, "group") as j:
        out = j.judge([JudgeRequest(longest.question, longest.rubric, a) for a in ANSWERS])
        assert j.counters["invalid_replies"] == 0, [o.rationale for o in out]
        assert j.counters["requests"] == 1 and j.counters["prompt_tokens"] > 0
    assert len(out) == len(ANSWERS) and all(o.prompt_version == "group-v1" for o in out)
    _check_scores(longest, out)
