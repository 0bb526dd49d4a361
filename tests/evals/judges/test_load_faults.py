"""The judge client under load and faults, a sweep's worth scaled to this machine: many judges (one
per job, each with its own loop thread and connections, one shared SQLite cache) against one
throughput-limited loopback server that answers with 429s (with and without Retry-After), 500s,
timeouts and garbled JSON. Checked from the server's side (arrival times, in-flight counts), not
from the client's speed: in flight never above ``concurrency`` per client; a retry after a 429
never before its Retry-After, after another failure never before its backoff; at most
``1 + max_retries`` requests per call; every call ends valid (the server's verdict) or unscorable
(all None, counted); nothing cached from a failure."""

from __future__ import annotations

import threading
from collections import defaultdict
from itertools import pairwise
from types import SimpleNamespace

import pytest

from evals.judges.base import JudgeRequest
from evals.judges.cache import JudgeCache
from evals.judges.openai_judge import OpenAIJudge
from evals.judges.runtime import RetryPolicy
from tests.support.faults import Fault
from tests.support.loadserver import LoadTestServer

from .test_openai_judge import expected

CLIENTS, CALLS, CONCURRENCY, MAX_RETRIES = 8, 24, 4, 3  # 36 jobs x 64 in flight, scaled to 2 cores
RETRY_AFTER, BACKOFF = 0.3, 0.05
FAULTS = {  # about 45% of requests fail: some calls exhaust their retries
    Fault("429", retry_after=RETRY_AFTER): 0.08,
    Fault("429", retry_after=None): 0.05,
    Fault("500"): 0.1,
    Fault("timeout", seconds=5.0): 0.04,
    Fault("malformed"): 0.12,
    Fault("wrong_length"): 0.05,
}


def _judge(url: str, client: int, cache: str) -> OpenAIJudge:
    return OpenAIJudge(
        base_url=url,
        model=f"judge-client-{client}",
        mode="rubric",
        require_api_key=False,
        concurrency=CONCURRENCY,
        max_retries=MAX_RETRIES,
        timeout=0.5,
        backoff_base=BACKOFF,
        backoff_max=0.4,
        retry_after_max=2.0,
        cache_path=cache,
    )


def _sweep(url: str, batches: list[list[JudgeRequest]], cache: str) -> tuple[list[list], list[OpenAIJudge]]:
    """Every client judges its batch at once, in its own thread (as a sweep's jobs do)."""
    judges = [_judge(url, c, cache) for c in range(len(batches))]
    out: list[list] = [[] for _ in batches]

    def run(c: int) -> None:
        out[c] = judges[c].judge(batches[c])

    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a judge call did not end"
    return out, judges


def test_many_judges_against_a_faulty_throughput_limited_server(rubric, tmp_path):
    batches = [
        [
            JudgeRequest(
                f"Client {c}, question {i}: what is the capital of France?",
                rubric,
                "The capital of France is Paris." if i % 2 else "London, I think.",
            )
            for i in range(CALLS)
        ]
        for c in range(CLIENTS)
    ]
    cache = str(tmp_path / "judge_cache.sqlite")
    with LoadTestServer(latency=0.01, slots=6, fault_rates=FAULTS, seed=3).register(rubric) as srv:
        out, judges = _sweep(srv.url, batches, cache)
        srv.settle()  # a client that timed out has moved on; its request may still be in the server
        log = list(srv.log)

        # in flight: never above one client's concurrency per client, nor all clients' together
        assert max(srv.max_inflight_by_model.values()) == CONCURRENCY, dict(srv.max_inflight_by_model)
        assert srv.max_inflight <= CLIENTS * CONCURRENCY

        # no retry storm: at most 1 + max_retries requests per call
        calls = CLIENTS * CALLS
        by_call: dict[str, list[dict]] = defaultdict(list)
        for e in sorted(log, key=lambda e: e["t"]):
            by_call[e["call"]].append(e)
        assert len(by_call) == calls and srv.requests == len(log)
        assert max(len(v) for v in by_call.values()) <= 1 + MAX_RETRIES
        assert srv.requests <= (1 + MAX_RETRIES) * calls

        # waits, from the server's clock: the retry after a 429 with Retry-After comes no earlier
        # than it said; after any other failure, no earlier than the exponential backoff's floor
        waited = {"retry_after": 0, "backoff": 0}
        for attempts in by_call.values():
            for n, (a, b) in enumerate(pairwise(attempts), start=1):
                gap = b["t"] - a["t_reply"]
                if a["status"] is None:  # a timeout: the client hung up before the server could see it
                    continue
                if a["status"] == 429 and a["retry_after"] is not None:
                    assert gap >= RETRY_AFTER, (a, b)
                    waited["retry_after"] += 1
                else:
                    assert gap >= BACKOFF * 2 ** (n - 1) * 0.999, (n, a, b)
                    waited["backoff"] += 1
        assert waited["retry_after"] > 0 and waited["backoff"] > 0, waited

        # every call: the server's verdict or all None, and each unscorable call counted
        valid = none = 0
        for batch, judged in zip(batches, out, strict=True):
            for r, j in zip(batch, judged, strict=True):
                if all(s is None for s in j.scores):
                    none += 1
                else:
                    assert j.scores == expected(r)
                    valid += 1
        print(
            f"\nload: {calls} calls, {srv.requests} requests, {valid} valid, {none} unscorable, "
            f"max in flight {srv.max_inflight} (per client {max(srv.max_inflight_by_model.values())}), "
            f"waits checked {waited}"
        )
        assert valid + none == calls and valid > 0 and none > 0, (valid, none)
        assert sum(j.counters["unscorable"] for j in judges) == none
        assert sum(j.counters["requests"] for j in judges) == srv.requests

        # nothing cached from a failure: the cache holds exactly the valid calls; a fault-free
        # rerun asks the server only for the calls that failed
        assert len(JudgeCache(cache)) == valid
        srv.fault_rates.clear()
        before = srv.requests
        again, _ = _sweep(srv.url, batches, cache)
        srv.settle()
        assert srv.requests - before == none
        assert all(
            j.scores == expected(r)
            for b, o in zip(batches, again, strict=True)
            for r, j in zip(b, o, strict=True)
        )
        for j in judges:
            j.close()


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_backoff_has_jitter_and_a_floor(attempt):
    policy = RetryPolicy(max_retries=4, backoff_base=0.5, backoff_max=30.0)
    state = SimpleNamespace(attempt_number=attempt, outcome=None)
    waits = [policy.wait(state) for _ in range(200)]  # type: ignore[arg-type]
    floor = 0.5 * 2 ** (attempt - 1)
    assert all(floor <= w <= floor + 0.5 for w in waits)
    assert len({round(w, 6) for w in waits}) > 150  # jittered, not one value
    assert max(waits) - min(waits) > 0.4


def test_retry_after_is_honoured_capped_and_jittered():
    import httpx
    import openai

    def rate_limited(seconds: str) -> SimpleNamespace:
        req = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
        resp = httpx.Response(429, headers={"retry-after": seconds}, request=req)
        err = openai.RateLimitError("429", response=resp, body=None)
        return SimpleNamespace(attempt_number=1, outcome=SimpleNamespace(exception=lambda: err))

    policy = RetryPolicy(max_retries=4, backoff_base=0.2, backoff_max=1.0, retry_after_max=5.0)
    waits = [policy.wait(rate_limited("3")) for _ in range(100)]  # type: ignore[arg-type]
    assert all(3.0 <= w <= 3.2 for w in waits) and len({round(w, 6) for w in waits}) > 80
    assert all(5.0 <= policy.wait(rate_limited("600")) <= 5.2 for _ in range(20))  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_a_dropped_connection_is_not_counted_as_a_timeout(make_judge, server, requests_, backend):
    """The SDK's aiohttp transport reports a dropped connection as a timeout; the counters do not."""
    server.inject("dead", Fault("timeout", seconds=5.0), "dead")
    j = make_judge(http_backend=backend, timeout=0.5, max_retries=2)
    (out,) = j.judge(requests_[:1])
    assert out.unscorable == len(out.scores) and j.counters["requests"] == 3
    assert j.counters["connection_errors"] == 2 and j.counters["timeouts"] == 1
    assert j.counters["http_errors"] == 3
