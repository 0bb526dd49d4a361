"""A loopback OpenAI-compatible judge server with fault injection (tests and benchmarks).

It implements ``POST /v1/chat/completions`` well enough for the ``openai``
client and answers the prompts of :mod:`evals.judges.prompts` (all modes) by
scoring with the rules judge (``tests.support.answers``). Prompts never carry a criterion's machine
``check`` (an LLM judge must not see the answer key), so the test harness
registers its rubrics with the server out of band (``srv.register(rubric)``): a
side table maps a criterion's text to its check. A registered criterion with a
check gets the rules judge's verdict; any other gets a deterministic stand-in
(Hard Rule true; Principle = a hash of (criterion, response) mod 11), so two
different responses usually get different scores. Prior weights: Hard Rules
weigh 2, Principles 1, normalized to sum 1.

Logprob prompts (one criterion, ``max_tokens=1``) get a 1-token reply with
``top_logprobs``: a Hard Rule verdict v puts 0.8 on "Yes"/"No" (as v says) and
0.1 on the other, a Principle score v puts 0.7 on str(v) and 0.1 on each
neighbour; the rest of the mass goes to an unrelated token.

Faults (one per request, consumed in order from a queue, or drawn with
probabilities from a seeded RNG when the queue is empty)::

    latency        sleep ``seconds`` then answer normally
    429            HTTP 429 with ``Retry-After: <retry_after>`` (omitted if None)
    500            HTTP 500
    400 / 401      HTTP 400 (bad request) / 401 (bad key)
    timeout        sleep ``seconds`` (longer than the client's timeout), then answer
    malformed      content that is not JSON
    wrong_length   a score list one entry too long
    wrong_count    group mode: one score list too few (one too many for a single response)
    out_of_range   a Principle scored 11 (per_item: criteria_met = "yes"; prior: weights "x")
    float_score    a Principle scored 7.5
    string_score   a Hard Rule scored "true"
    no_choices     HTTP 200 with a chat completion that has no choices
    negative_weight  prior: the first weight negative (E.2 asks for non-negative weights)
    unnormalized   prior: weights that sum to 2 (E.2 asks for a sum of 1.0)
    500_validation HTTP 500 whose message is a request validation error (llama-cpp-python's
                   answer to a response_format it does not know): not worth a retry
    no_logprobs    logprob mode: a reply without logprobs
    low_mass       logprob mode: the top tokens are none of the allowed answers
    dead           the connection is closed without an answer (a server that died)
    (in logprob mode malformed / wrong_length / out_of_range / float_score / string_score
    give a logprob entry that is not a number)

Load (``tests.support.loadserver`` adds a throughput limit and exact in-flight counts):
``dead_after=n`` answers every request after the n-th with the ``dead`` fault; a latency or
timeout sleep ends when the client hangs up (a serving engine aborts such a request). A 200
reply's ``usage`` counts whitespace-separated words of the messages and of the reply (1 for
a logprob reply); ``log`` has it per request, with the arrival and reply times (``t``,
``t_reply``: ``time.monotonic()``) and ``call``, a hash of the messages (the same for every
attempt of a call). ``served_model`` is the one model ``GET /models`` lists.

Usage::

    with JudgeTestServer(latency=0.05) as srv:
        srv.inject("429", Fault("timeout", seconds=2.0), "malformed")
        OpenAIJudge(base_url=srv.url, ...)
        srv.requests  # requests received

or as a separate process: ``python -m tests.support.testserver --port 8123 --latency 0.05``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.rubric import Criterion, Rubric
from evals.judges.prompts import parse_prompt
from tests.support.answers import content
from tests.support.faults import FAULT_KINDS, Fault, as_fault, corrupt  # noqa: F401 (re-exported)
from tests.support.scoring import Scorer, rules_scores, stand_in_score  # noqa: F401 (re-exported)


class JudgeTestServer:
    handler: type[BaseHTTPRequestHandler] | None = None  # the request handler (None: ``_Handler``)

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        fault_rates: dict[str, float] | None = None,
        seed: int = 0,
        scorer: Scorer = rules_scores,
        record: bool = True,
        rubrics: Sequence[Rubric] = (),
        dead_after: int | None = None,
    ):
        self.host, self.port = host, port
        self.latency = latency
        self.fault_rates = dict(fault_rates or {})
        self.scorer = scorer
        self.record = record
        self.served_model = "loopback-judge"
        self.models_status = 200  # what GET /models answers (a test sets 503: a server too busy to list them)
        self.dead_after = dead_after
        self._rng = random.Random(seed)
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests = 0
        self.inflight = 0
        self.max_inflight = 0  # the most requests handled at once (checks the client's concurrency limit)
        self.log: list[dict[str, Any]] = []  # per request: mode, fault, status, authorization, messages
        self.checks: dict[str, dict[str, Any]] = {}  # criterion text -> machine check (the side table)
        self.register(*rubrics)

    # ---------------------------------------------------------------- control
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def register(self, *rubrics: Rubric) -> JudgeTestServer:
        """Tell the server the machine checks of these rubrics (prompts do not carry them)."""
        with self._lock:
            for rb in rubrics:
                for c in rb.criteria:
                    if c.check is not None:
                        self.checks[c.text] = c.check
        return self

    def _with_checks(self, rubric: Rubric) -> Rubric:
        return Rubric(
            criteria=tuple(
                Criterion(text=c.text, kind=c.kind, check=self.checks.get(c.text)) for c in rubric.criteria
            )
        )

    def inject(self, *faults: Fault | str) -> None:
        with self._lock:
            self._faults.extend(as_fault(f) for f in faults)

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.requests = 0
            self.max_inflight = 0
            self.log.clear()

    @property
    def pending_faults(self) -> int:
        return len(self._faults)

    def start(self) -> JudgeTestServer:
        server = self

        class Handler(self.handler or _Handler):  # type: ignore[misc]
            owner = server

        httpd = ThreadingHTTPServer((self.host, self.port), Handler, bind_and_activate=False)
        httpd.daemon_threads = True
        httpd.request_queue_size = 256
        httpd.allow_reuse_address = True
        httpd.server_bind()
        httpd.server_activate()
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._stop.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="judge-testserver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes requests sleeping in a 'timeout' fault
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> JudgeTestServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ---------------------------------------------------------------- behaviour
    def _next_fault(self) -> Fault | None:
        with self._lock:
            self.requests += 1
            if self.dead_after is not None and self.requests > self.dead_after:
                return Fault("dead")
            if self._faults:
                return self._faults.popleft()
            for kind, p in self.fault_rates.items():
                if self._rng.random() < p:
                    return as_fault(kind)
        return None

    def answer(self, messages: list[dict[str, Any]], fault: Fault | None) -> tuple[str, dict[str, Any] | str]:
        """(mode, reply content as an object, or a raw string for the malformed fault)."""
        p = parse_prompt(messages)
        mode = p["mode"]
        return mode, self._content(mode, p["question"], self._with_checks(p["rubric"]), p["responses"], fault)

    def _content(self, mode: str, q: str, rubric: Rubric, resp: list[str], fault: Fault | None) -> dict[str, Any] | str:
        """The reply content (``tests.support.answers``); a subclass may bend it (a biased judge)."""
        return content(self.scorer, mode, q, rubric, resp, fault)

    def logprobs(self, mode: str, messages: list[dict[str, Any]], fault: Fault | None) -> dict[str, Any] | None:
        """The ``logprobs`` field of a 1-token reply to a logprob prompt (None: the no_logprobs fault)."""
        p = parse_prompt(messages)
        rubric = self._with_checks(p["rubric"])
        v = self.scorer(p["question"], rubric, p["responses"][0])[0]
        kind = fault.kind if fault else None
        if kind == "no_logprobs":
            return None
        if kind == "low_mass":
            alts = [("The", 0.9), ("I", 0.05), ("Yes", 0.01), ("5", 0.01)]
        elif mode == "logprob_hard_rule":
            yes = bool(v) if isinstance(v, bool) else v >= 5
            alts = [("Yes", 0.8), ("No", 0.1)] if yes else [("No", 0.8), ("Yes", 0.1)]
        else:
            v = int(v) * 10 if isinstance(v, bool) else int(v)
            alts = [(str(v), 0.7)] + [(str(n), 0.1) for n in (v - 1, v + 1) if 0 <= n <= 10]
        rest = 1.0 - sum(q for _, q in alts)
        if rest > 1e-9:
            alts.append(("The", rest))
        top: list[dict[str, Any]] = [{"token": t, "logprob": math.log(q), "bytes": None} for t, q in alts]
        if kind in ("malformed", "wrong_length", "out_of_range", "float_score", "string_score"):
            top[0]["logprob"] = "x"
        first = {**top[0], "top_logprobs": top}
        return {"content": [first], "refusal": None}


class _Handler(BaseHTTPRequestHandler):
    owner: JudgeTestServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = (
        True  # headers and body go out in separate writes: avoid the 40 ms delayed-ACK stall
    )

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout fault)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models") and self.owner.models_status != 200:
            self._send(self.owner.models_status, {"error": {"message": "busy", "type": "server_error"}})
        elif self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": self.owner.served_model, "object": "model"}]})
        else:
            self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        srv = self.owner
        with srv._lock:
            srv.inflight += 1
            srv.max_inflight = max(srv.max_inflight, srv.inflight)
        try:
            self._post()
        finally:
            with srv._lock:
                srv.inflight -= 1

    def _post(self) -> None:
        srv = self.owner
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        t = time.monotonic()
        fault = srv._next_fault()
        if fault and fault.kind == "dead":
            self.close_connection = True  # no answer at all: the client sees the connection drop
            return
        entry: dict[str, Any] = {
            "t": t,
            "call": hashlib.sha256(json.dumps(body.get("messages")).encode()).hexdigest()[:16],
            "fault": fault.kind if fault else None,
            "model": body.get("model"),
            "peer": self.client_address[1],  # the client's port: one per connection
        }
        if srv.record:
            entry["authorization"] = self.headers.get("Authorization")
            entry["messages"] = body.get("messages")
            entry["response_format"] = body.get("response_format")
            entry["max_tokens"] = body.get("max_tokens")
            entry["top_logprobs"] = body.get("top_logprobs") if body.get("logprobs") else None
        delay = srv.latency + (fault.seconds if fault and fault.kind in ("latency", "timeout") else 0.0)
        if delay > 0 and not self._wait(delay):
            entry["status"] = None  # the client hung up: nothing to answer
            self._record(entry)
            return
        if fault and fault.kind == "429":
            headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            entry.update(status=429, retry_after=fault.retry_after)
            self._record(entry)
            self._send(
                429, {"error": {"message": "rate limited (injected)", "type": "rate_limit_error"}}, headers
            )
            return
        if fault and fault.kind in ("500", "400", "401"):
            entry["status"] = int(fault.kind)
            self._record(entry)
            self._send(
                entry["status"], {"error": {"message": f"HTTP {fault.kind} (injected)", "type": "injected"}}
            )
            return
        if fault and fault.kind == "500_validation":
            entry["status"] = 500
            self._record(entry)
            msg = "1 validation error:\n  {'type': 'literal_error', 'msg': \"Input should be 'text' or 'json_object'\"}"
            self._send(500, {"error": {"message": msg, "type": "internal_server_error"}})
            return
        try:
            entry["mode"], content = srv.answer(body.get("messages") or [], fault)
        except (ValueError, KeyError, TypeError) as e:
            entry["status"] = 400
            self._record(entry)
            self._send(
                400, {"error": {"message": f"not a judge prompt: {e}", "type": "invalid_request_error"}}
            )
            return
        logprobs = None
        if entry["mode"].startswith("logprob"):
            logprobs = srv.logprobs(entry["mode"], body.get("messages") or [], fault)
            content = logprobs["content"][0]["token"] if logprobs else "Yes"
        elif not isinstance(content, str):
            content = json.dumps(content)
        entry["status"] = 200
        words = sum(len(str(m.get("content") or "").split()) for m in body.get("messages") or [])
        usage = {"prompt_tokens": words, "completion_tokens": 1 if logprobs is not None else len(content.split())}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        entry["usage"] = usage
        self._record(entry)
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "length" if logprobs is not None else "stop",
            "logprobs": logprobs,
        }
        self._send(
            200,
            {
                "id": f"chatcmpl-loopback-{srv.requests}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model") or "loopback-judge",
                "choices": [] if fault and fault.kind == "no_choices" else [choice],
                "usage": usage,
            },
        )

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; False as soon as the client closes the connection or the server stops."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and not self.owner._stop.is_set():
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.1))
            if readable:  # no pipelining: a readable socket while a request is pending means it closed
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return False
                except OSError:
                    return False
        return not self.owner._stop.is_set()

    def _record(self, entry: dict[str, Any]) -> None:
        entry["t_reply"] = time.monotonic()
        if self.owner.record:
            with self.owner._lock:
                self.owner.log.append(entry)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="loopback judge server (tests and perf scripts)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--port-file", default=None, help="write the chosen port here once listening")
    args = ap.parse_args(argv)
    srv = JudgeTestServer(port=args.port, latency=args.latency, record=False).start()
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as fh:
            fh.write(str(srv.port))
        import os

        os.replace(args.port_file + ".tmp", args.port_file)
    print(srv.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
