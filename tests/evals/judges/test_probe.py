"""The judge probe: one real rubric request through the judge's own path, one line on failure."""

from __future__ import annotations

import socket

import pytest

from evals.judges.openai_judge import OpenAIJudge
from evals.judges.probe import JudgeProbeError, probe_judge
from evals.judges.rules import RulesJudge
from tests.support.testserver import JudgeTestServer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _judge(url: str) -> OpenAIJudge:
    return OpenAIJudge(base_url=url, model="probe-model", require_api_key=False, mode="rubric",
                       json_mode="json_schema", timeout=5.0, cache=False)


def test_probe_passes_on_a_server_that_answers_in_shape():
    with JudgeTestServer() as srv:
        probe_judge(_judge(srv.url))
        assert srv.requests == 1  # exactly one request


@pytest.mark.parametrize("fault", ["malformed", "wrong_length", "string_score"])
def test_garbage_fails_in_one_line_naming_url_model_and_reply(fault):
    with JudgeTestServer() as srv:
        srv.inject(fault, fault)  # the probe's one retry gets garbage too
        with pytest.raises(JudgeProbeError) as e:
            probe_judge(_judge(srv.url))
    msg = str(e.value)
    assert "\n" not in msg and srv.url in msg and "'probe-model'" in msg
    assert "InvalidReply" in msg  # what came back


def test_unreachable_url_fails_in_one_line():
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    with pytest.raises(JudgeProbeError) as e:
        probe_judge(_judge(url))
    msg = str(e.value)
    assert "\n" not in msg and url in msg and "unscorable: API" in msg  # the client's error, whatever transport


def test_probe_ignores_the_cache(tmp_path):
    with JudgeTestServer() as srv:
        j = OpenAIJudge(base_url=srv.url, model="m", require_api_key=False, mode="rubric",
                        cache_path=str(tmp_path / "c.sqlite"))
        probe_judge(j)
        probe_judge(j)
        assert srv.requests == 2  # a cached answer would prove nothing about the server


def test_rules_judge_is_not_probed():
    probe_judge(RulesJudge())


def test_a_pairwise_judge_is_probed_with_the_pairwise_prompt():
    """The probe asks in the judge's own mode: two responses, one pairwise request, both sides scored."""
    with JudgeTestServer() as srv:
        j = OpenAIJudge(base_url=srv.url, model="m", require_api_key=False, mode="pairwise",
                        json_mode="json_schema", dialect="vllm", timeout=5.0, cache=False)
        probe_judge(j)
        assert srv.requests == 1 and [e["mode"] for e in srv.log] == ["pairwise"]


def test_a_garbled_pairwise_reply_fails_the_probe():
    with JudgeTestServer() as srv:
        srv.inject("wrong_length", "wrong_length")
        j = OpenAIJudge(base_url=srv.url, model="m", require_api_key=False, mode="pairwise", timeout=5.0, cache=False)
        with pytest.raises(JudgeProbeError, match="pairwise mode"):
            probe_judge(j)
