"""The real OpenAIJudge against the real loopback server: modes, faults, retries, concurrency."""

from __future__ import annotations

import asyncio
import copy
import multiprocessing
import pickle
import subprocess
import sys
import threading

import pytest

from core.config import REPO_ROOT
from core.rubric import Rubric
from evals.judges import prompts
from evals.judges.base import JudgeRequest
from evals.judges.openai_judge import JudgeConfigError, OpenAIJudge
from tests.support.testserver import Fault, JudgeTestServer, rules_scores

from .conftest import QUESTION

ROOT = REPO_ROOT


def expected(req: JudgeRequest) -> list:
    return rules_scores(req.question, req.rubric, req.response)


# ----------------------------------------------------------------------------- modes


def test_rubric_mode(make_judge, server, requests_):
    j = make_judge(mode="rubric")
    out = j.judge(requests_)
    assert [o.scores for o in out] == [expected(r) for r in requests_]
    assert out[0].scores[2] is True and out[1].scores[2] is False  # "not London" check
    assert all(o.prompt_version == prompts.RUBRIC_VERSION and o.judge == "openai:loopback-judge" for o in out)
    assert all(not o.cached and o.attempts == 1 for o in out)
    assert server.requests == 2 and j.counters["requests"] == 2
    assert {e["mode"] for e in server.log} == {"rubric"}
    assert server.log[0]["response_format"] == {"type": "json_object"}
    assert j.stats()["judge/latency_mean_s"] > 0


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_http_backends(make_judge, server, requests_, backend):
    j = make_judge(http_backend=backend, cache=False)
    assert [o.scores for o in j.judge(requests_)] == [expected(r) for r in requests_]
    assert [o.scores for o in asyncio.run(j.ajudge(requests_))] == [expected(r) for r in requests_]
    assert server.requests == 4


def test_json_mode_off(make_judge, server, requests_):
    make_judge(json_mode=False).judge(requests_[:1])
    assert server.log[0]["response_format"] is None


def test_pairwise_mode_pairs_consecutive_requests(make_judge, server, requests_, rubric):
    j = make_judge(mode="pairwise")
    other = JudgeRequest("A different question", rubric, "Paris")
    reqs = [
        *requests_,
        *requests_,
        requests_[0],
        other,
    ]  # pair, pair, single (next has another question), single
    out = j.judge(reqs)
    assert [o.scores for o in out] == [expected(r) for r in reqs]
    modes = [e["mode"] for e in server.log]
    assert sorted(modes) == ["pairwise", "pairwise", "rubric", "rubric"]
    assert [o.prompt_version for o in out] == [prompts.PAIRWISE_VERSION] * 4 + [prompts.RUBRIC_VERSION] * 2
    assert out[0].rationale == out[1].rationale


def test_judge_pairs(make_judge, server, requests_):
    j = make_judge(mode="pairwise")
    [(a, b)] = j.judge_pairs([(requests_[0], requests_[1])])
    assert a.scores == expected(requests_[0]) and b.scores == expected(requests_[1])
    assert server.requests == 1
    with pytest.raises(ValueError, match="same question"):
        j.judge_pairs([(requests_[0], JudgeRequest("other", requests_[0].rubric, "x"))])


class BiasedServer(JudgeTestServer):
    """A judge with position bias: whatever is shown first gets +2 on principles and passes hard rules."""

    def _content(self, mode, q, rubric, resp, fault):
        out = super()._content(mode, q, rubric, resp, fault)
        if mode == "pairwise" and isinstance(out, dict):
            out["rollout_A_scores"] = [
                True if k == "hard_rule" else min(10, s + 2)
                for s, k in zip(out["rollout_A_scores"], rubric.kinds, strict=True)
            ]
        return out


def test_position_swap_scores_both_orders_and_combines(tmp_path, requests_):
    with BiasedServer(rubrics=[requests_[0].rubric]) as srv:
        j = OpenAIJudge(base_url=srv.url, model="m", mode="pairwise", position_swap=True, cache=False)
        a, b = j.judge(requests_)
        shown_first = [
            e["messages"][1]["content"].split("<rollout_A>\n")[1].split("\n</rollout_A>")[0] for e in srv.log
        ]
    assert srv.requests == 2
    assert sorted(shown_first) == sorted(r.response for r in requests_)  # both orders
    for judgment, req in ((a, requests_[0]), (b, requests_[1])):
        truth = expected(req)
        for s, t, kind in zip(judgment.scores, truth, req.rubric.kinds, strict=True):
            if kind == "hard_rule":
                assert s is t  # AND of (biased True, truth) == truth
            else:
                assert s == (min(10, t + 2) + t + 1) // 2
    assert a.prompt_version == prompts.PAIRWISE_VERSION + "+swap"
    assert "[A,B]" in a.rationale and "[B,A]" in a.rationale


def test_position_swap_one_order_fails(make_judge, server, requests_):
    j = make_judge(mode="pairwise", position_swap=True, max_retries=0, cache=False)
    server.inject("500")  # the first of the two concurrent calls fails
    a, b = j.judge(requests_)
    assert a.scores == expected(requests_[0]) and b.scores == expected(requests_[1])
    assert j.counters["swap_partial"] == 1 and j.counters["unscorable"] == 1


def test_per_item_mode(make_judge, server, requests_, rubric):
    j = make_judge(mode="per_item")
    out = j.judge(requests_)
    assert server.requests == 2 * len(rubric)
    assert {e["mode"] for e in server.log} == {"per_item"}
    for o, r in zip(out, requests_, strict=True):
        truth = expected(r)
        want = [
            t if k == "hard_rule" else (10 if t >= 5 else 0) for t, k in zip(truth, rubric.kinds, strict=True)
        ]
        assert o.scores == want
        assert o.prompt_version == prompts.PER_ITEM_VERSION
        assert o.attempts == len(rubric)


def test_per_item_one_criterion_unscorable(make_judge, server, requests_):
    j = make_judge(mode="per_item", max_retries=0)
    server.inject("malformed")
    [o] = j.judge(requests_[:1])
    assert sum(s is None for s in o.scores) == 1 and j.counters["unscorable"] == 1


def test_prior_weights(make_judge, server, rubric):
    j = make_judge()
    [w] = j.prior_weights([(QUESTION, rubric)])
    assert w == pytest.approx([2 / 6, 1 / 6, 2 / 6, 1 / 6])
    assert server.log[0]["mode"] == "prior"
    server.inject(*["wrong_length"] * 4)
    [bad] = j.prior_weights([("another question", rubric)])
    assert bad is None and j.counters["invalid_replies"] == 4 and j.counters["unscorable"] == 1
    n = server.requests
    assert j.prior_weights([(QUESTION, rubric)]) == [w] and server.requests == n  # cached


# ----------------------------------------------------------------------------- faults and retries

FAULTS = {
    "429": ("rate_limited", Fault("429", retry_after=0.01)),
    "429-no-retry-after": ("rate_limited", Fault("429", retry_after=None)),
    "500": ("http_errors", Fault("500")),
    "timeout": ("timeouts", Fault("timeout", seconds=1.0)),
    "malformed": ("invalid_replies", Fault("malformed")),
    "wrong_length": ("invalid_replies", Fault("wrong_length")),
    "out_of_range": ("invalid_replies", Fault("out_of_range")),
    "float_score": ("invalid_replies", Fault("float_score")),
    "string_score": ("invalid_replies", Fault("string_score")),
    "no_choices": ("invalid_replies", Fault("no_choices")),
    "latency": (None, Fault("latency", seconds=0.05)),
}


@pytest.mark.parametrize("mode", ["rubric", "pairwise", "per_item"])
@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_then_valid(make_judge, server, requests_, mode, name):
    counter, fault = FAULTS[name]
    # (per_item: the server turns the score faults into criteria_met="yes", also invalid)
    j = make_judge(mode=mode, timeout=0.25, cache=False)
    server.inject(fault)
    reqs = requests_ if mode == "pairwise" else requests_[:1]
    out = j.judge(reqs)
    assert [o.scores for o in out] == [
        [
            t if k == "hard_rule" or mode != "per_item" else (10 if t >= 5 else 0)
            for t, k in zip(expected(r), r.rubric.kinds, strict=True)
        ]
        for r in reqs
    ]
    retried = counter is not None
    calls = len(reqs[0].rubric) if mode == "per_item" else 1
    assert j.counters["requests"] == calls + retried == server.requests
    assert j.counters["retries"] == int(retried)
    assert j.counters["unscorable"] == 0
    if retried:
        assert j.counters[counter] == 1
        assert sum(o.attempts for o in out[:1]) == calls + 1


@pytest.mark.parametrize("mode", ["rubric", "pairwise"])
def test_retries_exhausted_gives_none_never_zero(make_judge, server, requests_, mode):
    j = make_judge(mode=mode, max_retries=2)
    server.inject("500", "malformed", "out_of_range")
    reqs = requests_ if mode == "pairwise" else requests_[:1]  # one call, so the faults hit it in order
    out = j.judge(reqs)
    assert all(o.scores == [None] * 4 for o in out)
    assert out[0].rationale.startswith("unscorable")
    assert out[0].attempts == 3
    assert j.counters["http_errors"] == 1 and j.counters["invalid_replies"] == 2
    assert j.counters["unscorable"] == 1 and j.counters["retries"] == 2
    # a failure is not cached: a re-run asks again
    n = server.requests
    assert [o.scores for o in j.judge(reqs)] == [expected(r) for r in reqs]
    assert server.requests == n + 1


def test_400_is_not_retried(make_judge, server, requests_):
    j = make_judge(max_retries=3)
    server.inject("400")
    [o] = j.judge(requests_[:1])
    assert o.scores == [None] * 4 and server.requests == 1 and j.counters["retries"] == 0


def test_401_is_a_config_error(make_judge, server, requests_):
    server.inject("401")
    with pytest.raises(JudgeConfigError, match="HTTP 401"):
        make_judge().judge(requests_[:1])


def test_retry_after_is_honoured_and_capped(make_judge, server, requests_):
    """The wait before the retry (counted in ``retry_wait_s``) is the header's, capped; jitter up to
    ``backoff_base`` (0.001 here) on top."""
    j = make_judge(cache=False)
    server.inject(Fault("429", retry_after=0.4))
    j.judge(requests_[:1])
    assert j.counters["retries"] == 1 and 0.4 <= j.counters["retry_wait_s"] <= 0.401
    server.inject(Fault("429", retry_after=30))
    j = make_judge(cache=False, retry_after_max=0.05)
    [o] = j.judge(requests_[:1])
    assert j.counters["retries"] == 1 and 0.05 <= j.counters["retry_wait_s"] <= 0.051
    assert o.scores == expected(requests_[0])


def test_random_faults_end_valid_or_none(make_judge, rubric):
    with JudgeTestServer(
        fault_rates={"500": 0.15, "malformed": 0.15, "out_of_range": 0.1}, seed=3, rubrics=[rubric]
    ) as srv:
        j = OpenAIJudge(
            base_url=srv.url,
            model="m",
            mode="rubric",
            max_retries=2,
            backoff_base=0.001,
            backoff_max=0.002,
            cache=False,
            concurrency=8,
        )
        reqs = [JudgeRequest(QUESTION, rubric, f"Paris, answer number {i}") for i in range(40)]
        out = j.judge(reqs)
    ok = [o for o in out if o.scores != [None] * 4]
    assert all(o.scores == expected(r) for o, r in zip(out, reqs, strict=True) if o in ok)
    assert len(out) - len(ok) == j.counters["unscorable"]
    assert j.counters["requests"] == srv.requests == 40 + j.counters["retries"]
    assert j.counters["retries"] > 0


# ----------------------------------------------------------------------------- concurrency / event loops


def test_concurrency_limit_is_respected(make_judge, server, rubric):
    server.latency = 0.1
    reqs = [JudgeRequest(QUESTION, rubric, f"Paris {i}") for i in range(9)]
    make_judge(concurrency=3, cache=False).judge(reqs)
    assert server.max_inflight == 3  # 3 at once (the 0.1 s latency makes them overlap), never more


def test_judge_inside_running_loop_and_thread(make_judge, server, requests_):
    j = make_judge(cache=False)

    async def caller():
        return j.judge(requests_)  # sync API called from a coroutine: runs in a worker thread

    assert [o.scores for o in asyncio.run(caller())] == [expected(r) for r in requests_]
    box = {}
    th = threading.Thread(target=lambda: box.setdefault("out", j.judge(requests_)))
    th.start()
    th.join()
    assert [o.scores for o in box["out"]] == [expected(r) for r in requests_]


def test_modes_and_keys_are_checked(server, monkeypatch):
    with pytest.raises(JudgeConfigError, match="mode"):
        OpenAIJudge(base_url=server.url, mode="listwise")
    monkeypatch.delenv("FOCAL_TEST_NO_SUCH_KEY", raising=False)
    with pytest.raises(JudgeConfigError, match="FOCAL_TEST_NO_SUCH_KEY"):
        OpenAIJudge(base_url="https://judge.example.org/v1", api_key_env="FOCAL_TEST_NO_SUCH_KEY")
    OpenAIJudge(
        base_url="https://judge.example.org/v1", api_key_env="FOCAL_TEST_NO_SUCH_KEY", require_api_key=False
    )
    OpenAIJudge(base_url=server.url, api_key_env="FOCAL_TEST_NO_SUCH_KEY")  # loopback: dummy key is fine
    with pytest.raises(JudgeConfigError, match="http_backend 'requests' unknown"):
        OpenAIJudge(base_url=server.url, http_backend="requests")


# ----------------------------------------------------------------------------- client lifetime


def test_sync_api_keeps_one_client_and_its_connections(make_judge, server, requests_):
    j = make_judge(concurrency=1, cache=False)
    for _ in range(3):  # e.g. three GRPO steps
        assert [o.scores for o in j.judge(requests_)] == [expected(r) for r in requests_]
    assert server.requests == 6
    assert len({e["peer"] for e in server.log}) == 1  # one keep-alive connection, not one per call


def test_close_stops_the_loop_and_the_judge_still_works_after(make_judge, server, requests_):
    j = make_judge(cache=False)
    j.judge(requests_)
    thread = j._runner._thread
    assert thread is not None and thread.is_alive() and thread in threading.enumerate()
    j.close()
    assert not thread.is_alive()
    assert [o.scores for o in j.judge(requests_)] == [expected(r) for r in requests_]  # restarts
    again = j._runner._thread
    assert again is not thread and again.is_alive()
    with j:
        pass
    assert not again.is_alive()


def test_copies_get_their_own_loop(make_judge, server, requests_):
    j = make_judge(cache=False)
    j.judge(requests_)
    for twin in (copy.deepcopy(j), pickle.loads(pickle.dumps(j))):
        assert [o.scores for o in twin.judge(requests_)] == [expected(r) for r in requests_]
        twin.close()
    assert server.requests == 6


def test_forked_child_starts_its_own_loop(make_judge, server, requests_):
    j = make_judge(cache=False)
    j.judge(requests_)  # the parent's loop thread is running (and does not survive a fork)
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=lambda: q.put([o.scores for o in j.judge(requests_)]))
    p.start()
    got = q.get(timeout=60)
    p.join(timeout=60)
    assert p.exitcode == 0 and got == [expected(r) for r in requests_]
    assert server.requests == 4


def test_exit_without_close_leaves_nothing_open(server):
    """A script that never closes its judge exits at once, with no unclosed client/socket warnings."""
    code = f"""
from evals.judges.base import JudgeRequest
from evals.judges.openai_judge import OpenAIJudge
from core.rubric import Criterion, Rubric
rubric = Rubric(criteria=(Criterion(text="Names Paris", kind="hard_rule", check={{"type": "contains", "value": "Paris"}}),))
j = OpenAIJudge(base_url={server.url!r}, model="m", mode="rubric", cache=False)
print(j.judge([JudgeRequest("Capital of France?", rubric, "Paris.")])[0].scores)
"""
    r = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[True]"
    assert "Unclosed" not in r.stderr and "ResourceWarning" not in r.stderr and "Traceback" not in r.stderr, (
        r.stderr
    )


def test_empty_batch(make_judge, server):
    assert make_judge().judge([]) == [] and server.requests == 0


def test_rubric_mismatch_between_neighbours_is_not_paired(make_judge, server, requests_, rubric):
    smaller = Rubric(criteria=rubric.criteria[:2])
    reqs = [requests_[0], JudgeRequest(QUESTION, smaller, "Paris")]
    out = make_judge(mode="pairwise").judge(reqs)
    assert [len(o.scores) for o in out] == [4, 2] and [e["mode"] for e in server.log] == ["rubric", "rubric"]


def test_an_invalid_reply_is_final_when_retry_invalid_is_off(make_judge, server, requests_):
    """judge=local: a greedy server repeats its invalid reply, so it is not asked again; None, counted."""
    j = make_judge(mode="rubric", cache=False, retry_invalid=False)
    server.inject(Fault("malformed"))
    [o] = j.judge(requests_[:1])
    assert all(s is None for s in o.scores)
    assert (j.counters["requests"], j.counters["invalid_replies"], j.counters["unscorable"], j.counters["retries"]) == (1, 1, 1, 0)
    server.inject(Fault("500"))  # transport errors are still retried
    [o] = j.judge(requests_[1:2])
    assert None not in o.scores and j.counters["retries"] == 1
