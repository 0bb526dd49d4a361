"""Prior weights from an LLM as ``experiment=paper`` asks for them (App. E.2): the E.2 prompt sent to the
paper's model through an OpenAI-compatible endpoint (here the loopback server), every prompt's weights
validated (length, non-negative, sum 1) before training, cached on disk (a second run sends 0 requests)
and their request count printed."""

from __future__ import annotations

import numpy as np
import pytest
from hydra.utils import instantiate

from core.rubric import Criterion, Example, Rubric
from evals.judges import prompts
from harness.cell.train import precompute_base_weights
from harness.compose import compose_sweep
from tests.support.testserver import JudgeTestServer

RUBRIC = Rubric(
    criteria=(
        Criterion(text="Cites a source", kind="hard_rule"),
        Criterion(text="Explains clearly", kind="principle"),
        Criterion(text="Stays on topic", kind="principle"),
    )
)
EXAMPLES = [Example(id=f"p{i}", prompt=f"question {i}?", rubric=RUBRIC) for i in range(5)]


@pytest.fixture
def server():
    with JudgeTestServer() as srv:
        yield srv


def paper_prior(srv: JudgeTestServer, cache_dir, method: str = "prior", *more: str):
    cfg, _ = compose_sweep(
        [
            "experiment=paper",
            f"method={method}",
            f"cache_dir={cache_dir}",
            f"prior_weights.judge.base_url={srv.url}",
            *more,
        ]
    )
    return instantiate(cfg.method)


def test_paper_prior_weights_come_from_the_e2_prompt_once_then_from_the_disk_cache(server, tmp_path, capsys):
    method = paper_prior(server, tmp_path)
    spent = precompute_base_weights(method, EXAMPLES, str(tmp_path))
    assert spent["requests"] == 5 == server.requests
    assert "[prior weights] 5 prompts, 5 requests to gpt-4o-2024-11-20 (0 cache hits, 0 fallbacks)" in (
        capsys.readouterr().out
    )
    for entry in server.log:
        assert entry["mode"] == "prior" and entry["model"] == "gpt-4o-2024-11-20"
        user = entry["messages"][-1]["content"]
        assert prompts.PRIOR_INSTRUCTIONS in user and user.index("<rubric>") < user.index("## Instructions")
    for e in EXAMPLES:
        w = method.base_weights(e.id, e.question, e.rubric)
        assert w.shape == (3,) and np.all(w >= 0) and w.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(w, [0.5, 0.25, 0.25])  # the loopback's answer: Hard Rule 2, Principle 1
    assert server.requests == 5  # the reward function's lookups cost nothing

    again = paper_prior(server, tmp_path, "focal_prior")  # another job of the sweep, same dataset
    spent = precompute_base_weights(again, EXAMPLES, str(tmp_path))
    assert spent == {"requests": 0.0, "cache_hits": 5.0, "invalid_replies": 0.0} and server.requests == 5
    assert "5 prompts, 0 requests to gpt-4o-2024-11-20 (5 cache hits" in capsys.readouterr().out
    np.testing.assert_allclose(again.base_weights("p0", "question 0?", RUBRIC), [0.5, 0.25, 0.25])


def test_weights_that_break_e2s_rules_fall_back_and_are_counted(server, tmp_path, capsys):
    server.inject("negative_weight", "wrong_length", "unnormalized")
    # one answer per prompt, so each fault lands on its own prompt
    method = paper_prior(server, tmp_path, "prior", "prior_weights.judge.max_retries=0")
    items = [
        Example(id="neg", prompt="a?", rubric=RUBRIC),
        Example(id="len", prompt="b?", rubric=RUBRIC),
        Example(id="sum", prompt="c?", rubric=RUBRIC),
    ]
    # one at a time, so the queued faults meet the prompts in this order
    for e in items:
        precompute_base_weights(method, [e], str(tmp_path))
    stats = method.base_weights.stats()
    assert stats["prior/llm_fallback/negative"] == 1.0  # -> the rubric's weights, here uniform
    assert stats["prior/llm_fallback/unparsed"] == 1.0  # wrong length: rejected by the reply's schema
    assert stats["prior/llm_repaired"] == 1.0  # summing to 2: renormalized
    np.testing.assert_allclose(method.base_weights("neg", "a?", RUBRIC), [1 / 3] * 3)
    np.testing.assert_allclose(method.base_weights("sum", "c?", RUBRIC), [0.5, 0.25, 0.25])
    assert "1 fallbacks" in capsys.readouterr().out.splitlines()[0]


def test_the_rubric_source_sends_nothing(server, tmp_path, capsys):
    cfg, _ = compose_sweep(
        [
            "experiment=paper",
            "method=prior",
            "prior_weights.source=rubric",
            f"prior_weights.judge.base_url={server.url}",
        ]
    )
    method = instantiate(cfg.method)
    assert precompute_base_weights(method, EXAMPLES, str(tmp_path)) == {}
    assert server.requests == 0 and "[prior weights]" not in capsys.readouterr().out
