"""The LLM prior is computed for every training prompt in one concurrent batch before the first step."""

from __future__ import annotations

import numpy as np

from core.rubric import Criterion, Rubric
from methods.base import BaseWeights
from methods.prior import PriorWeights
from tests.support.testserver import JudgeTestServer


def test_precompute_asks_every_prompt_at_once_then_never_again(tmp_path):
    rubric = Rubric(criteria=(Criterion(text="Correct", kind="hard_rule"), Criterion(text="Clear", kind="principle")))
    items = [(f"p{i}", f"question {i}", rubric) for i in range(12)]
    from evals.judges.openai_judge import OpenAIJudge

    with JudgeTestServer(latency=0.2) as srv:
        judge = OpenAIJudge(base_url=srv.url, model="m", mode="rubric", cache=False, concurrency=16)
        prior = PriorWeights(source="llm", judge=judge)
        prior.precompute(items)
        assert srv.requests == 12 and srv.max_inflight >= 6  # concurrent, not one blocking call after another
        for key, q, rb in items:  # what the reward function asks at every step
            assert np.allclose(prior(key, q, rb), [2 / 3, 1 / 3])
        assert srv.requests == 12
        judge.close()
    assert prior.stats()["prior/w0/llm"] == 12


def test_every_base_weights_accepts_precompute():
    """The trainer calls ``method.base_weights.precompute`` whatever the method: a no-op by default."""
    rubric = Rubric(criteria=(Criterion(text="x", kind="hard_rule"),))
    w = BaseWeights()
    w.precompute([("k", "q", rubric)])
    assert np.allclose(w("k", "q", rubric), [1.0])
