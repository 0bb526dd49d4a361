"""Fixtures: a loopback judge server on a free port, a small rubric, a fast-retry judge factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.rubric import Criterion, Rubric
from evals.judges.base import JudgeRequest
from evals.judges.openai_judge import OpenAIJudge
from tests.support.testserver import JudgeTestServer

QUESTION = "What is the capital of France? Answer in one sentence."


@pytest.fixture
def server(rubric: Rubric) -> Iterator[JudgeTestServer]:
    srv = JudgeTestServer().start()
    srv.register(rubric)  # the prompts carry no checks: the server learns them out of band
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def rubric() -> Rubric:
    return Rubric(
        criteria=(
            Criterion(
                text="Names Paris as the capital",
                kind="hard_rule",
                check={"type": "contains", "value": "Paris"},
            ),
            Criterion(
                text="Is concise",
                kind="principle",
                check={"type": "length_band", "target": 6, "tolerance": 6},
            ),
            Criterion(
                text="Does not mention London",
                kind="hard_rule",
                check={"type": "not_contains", "value": "London"},
            ),
            Criterion(text="Is friendly and clear", kind="principle"),  # no check: stand-in score
        )
    )


@pytest.fixture
def requests_(rubric: Rubric) -> list[JudgeRequest]:
    return [
        JudgeRequest(QUESTION, rubric, "The capital of France is Paris."),
        JudgeRequest(
            QUESTION, rubric, "London is the capital, not Paris, I think, or maybe some other city."
        ),
    ]


@pytest.fixture
def make_judge(server: JudgeTestServer, tmp_path) -> Iterator[Callable[..., OpenAIJudge]]:
    made: list[OpenAIJudge] = []

    def make(**kw: Any) -> OpenAIJudge:
        conf: dict[str, Any] = dict(
            base_url=server.url,
            model="loopback-judge",
            mode="rubric",
            backoff_base=0.001,
            backoff_max=0.005,
            timeout=2.0,
            max_retries=3,
            cache_path=str(tmp_path / "judge_cache.sqlite"),
        )
        conf.update(kw)
        made.append(OpenAIJudge(**conf))
        return made[-1]

    yield make
    for j in made:
        j.close()
