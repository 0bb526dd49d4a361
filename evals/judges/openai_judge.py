"""The ``openai`` judge: any OpenAI-compatible chat-completions server (OpenAI, vLLM, ...).

Modes (config ``mode``):

- ``rubric`` (pointwise): one call scores one response on all K criteria:
  Hard Rule -> true/false, Principle -> integer 0-10.
- ``pairwise`` (the paper's protocol): one call scores two responses,
  ``rollout_A_scores`` / ``rollout_B_scores``. ``judge(requests)`` pairs
  *consecutive* requests with the same question and rubric (a GRPO group of G
  rollouts -> G/2 calls); a leftover single request (odd group, or a neighbour
  with a different question) is scored pointwise with the ``rubric`` prompt.
  ``position_swap: true`` also asks for (B, A) and combines the two orders:
  Principle = mean of the two scores rounded half up (``(a + b + 1) // 2``);
  Hard Rule = true only if both orders say true (a violation seen in either
  order counts). If one order is unscorable the other order's scores are used
  (counted as ``swap_partial``).
- ``per_item`` (HealthBench's grader): one call per criterion,
  ``{"explanation", "criteria_met"}``; a Hard Rule gets ``criteria_met``, a
  Principle gets 10 if met else 0. Cached per (question, criterion, response).
- ``prior_weights(items)``: the prior-weight prompt, ``{"weights": [...]}``;
  returns the raw list (K finite numbers) or None; sign/sum checks and
  fallbacks belong to ``methods.prior``.

Every reply is validated strictly (JSON object; list lengths equal K; Hard Rule
positions JSON booleans; Principle positions JSON integers 0-10 -- no floats,
even 7.0, no strings, no booleans). An invalid reply, HTTP 429 (Retry-After
honoured, capped at ``retry_after_max``), 5xx, a timeout or a connection error
is retried with exponential backoff and jitter (tenacity) up to ``max_retries``
times; the openai client's own retries are off, so one policy counts attempts.
After that the call is unscorable: every affected score is ``None``, never 0.
A 400 is not retried (unscorable at once); 401/403/404 raise
:class:`JudgeConfigError` (a wrong key, model or URL is not a per-reply failure).

The API key is read from the environment variable named by ``api_key_env``;
the config only ever holds that name.

Transport and lifetime: ``http_backend: aiohttp`` (default) puts the SDK's own
aiohttp transport (``openai.DefaultAioHttpClient``) under the client, which the
SDK recommends for concurrency and which cost ~20% less CPU per request than
its default httpx transport; ``httpx`` keeps the SDK default. The sync API
(``judge``/``judge_pairs``/``prior_weights``, what training and evaluation call)
runs on one private event loop in a daemon thread that keeps one client -- and
its open keep-alive connections -- for the judge's lifetime, so a GRPO step
does not pay for a new client, TLS context and connections. ``close()`` (also
run at garbage collection and interpreter exit) shuts it down. The ``a*``
coroutines, for callers with their own loop, open a client per call.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import math
import os
import re
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

import openai
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from core.registry import component
from core.rubric import Rubric
from evals.judges import prompts
from evals.judges.base import Judge, JudgeRequest, Judgment, Score
from evals.judges.cache import JudgeCache, cache_key

log = logging.getLogger(__name__)

MODES = ("rubric", "pairwise", "per_item")
HTTP_BACKENDS = ("aiohttp", "httpx")
T = TypeVar("T")


class InvalidReply(ValueError):
    """A reply that is not a valid judgment (bad JSON, wrong length/type/range)."""


class JudgeConfigError(RuntimeError):
    """Misconfiguration (missing key, wrong URL/model, bad mode): fails loudly, never a silent None."""


# ----------------------------------------------------------------------------- validation

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


def parse_json_object(content: str | None) -> dict[str, Any]:
    """The reply's JSON object (a surrounding code fence is tolerated, nothing else)."""
    if not isinstance(content, str) or not content.strip():
        raise InvalidReply("empty reply")
    m = _FENCE.match(content)
    text = m.group(1) if m else content.strip()
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidReply(f"not JSON ({e.msg} at {e.pos})") from None
    if not isinstance(obj, dict):
        raise InvalidReply(f"expected a JSON object, got {type(obj).__name__}")
    return obj


def reply_content(data: Any) -> str | None:
    """The first choice's message content of a raw chat-completions JSON body (shape checked)."""
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise InvalidReply("reply is not a chat completion (no choices[0].message.content)") from None
    if content is not None and not isinstance(content, str):
        raise InvalidReply(f"message content: expected a string, got {type(content).__name__}")
    return content


def validate_scores(value: Any, kinds: Sequence[str], field: str = "scores") -> list[Score]:
    if not isinstance(value, list):
        raise InvalidReply(f"{field}: expected a list, got {type(value).__name__}")
    if len(value) != len(kinds):
        raise InvalidReply(f"{field}: {len(value)} scores for {len(kinds)} criteria")
    for k, (s, kind) in enumerate(zip(value, kinds, strict=True)):
        if kind == "hard_rule":
            if type(s) is not bool:
                raise InvalidReply(f"{field}[{k}]: Hard Rule needs true/false, got {s!r}")
        elif type(s) is not int or not 0 <= s <= 10:
            raise InvalidReply(f"{field}[{k}]: Principle needs an integer 0-10, got {s!r}")
    return list(value)


def _rationale(obj: dict[str, Any], field: str = "rationale") -> str:
    r = obj.get(field, "")
    if r is None:
        return ""
    if not isinstance(r, str):
        raise InvalidReply(f"{field}: expected a string")
    return r


def validate_rubric_reply(obj: dict[str, Any], kinds: Sequence[str]) -> dict[str, Any]:
    if "scores" not in obj:
        raise InvalidReply("missing 'scores'")
    return {"scores": validate_scores(obj["scores"], kinds), "rationale": _rationale(obj)}


def validate_pairwise_reply(obj: dict[str, Any], kinds: Sequence[str]) -> dict[str, Any]:
    for f in ("rollout_A_scores", "rollout_B_scores"):
        if f not in obj:
            raise InvalidReply(f"missing {f!r}")
    return {
        "a": validate_scores(obj["rollout_A_scores"], kinds, "rollout_A_scores"),
        "b": validate_scores(obj["rollout_B_scores"], kinds, "rollout_B_scores"),
        "rationale": _rationale(obj),
    }


def validate_per_item_reply(obj: dict[str, Any]) -> dict[str, Any]:
    met = obj.get("criteria_met")
    if type(met) is not bool:
        raise InvalidReply(f"criteria_met: expected true/false, got {met!r}")
    return {"met": met, "rationale": _rationale(obj, "explanation")}


def validate_prior_reply(obj: dict[str, Any], k: int) -> dict[str, Any]:
    w = obj.get("weights")
    if not isinstance(w, list) or len(w) != k:
        raise InvalidReply(f"weights: expected a list of {k} numbers, got {w!r}"[:200])
    for x in w:
        if type(x) not in (int, float) or not math.isfinite(x):
            raise InvalidReply(f"weights: {x!r} is not a finite number")
    return {"weights": [float(x) for x in w]}


def combine_swapped(ab: list[Score], ba_for_same: list[Score], kinds: Sequence[str]) -> list[Score]:
    """One response's scores from two orders: Principle mean rounded half up, Hard Rule AND."""
    out: list[Score] = []
    for s1, s2, kind in zip(ab, ba_for_same, kinds, strict=True):
        if s1 is None or s2 is None:
            out.append(s1 if s2 is None else s2)
        elif kind == "hard_rule":
            out.append(bool(s1) and bool(s2))
        else:
            out.append((int(s1) + int(s2) + 1) // 2)
    return out


# ----------------------------------------------------------------------------- the judge


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_RETRYABLE = (
    InvalidReply,
    openai.APITimeoutError,
    openai.APIConnectionError,
    openai.RateLimitError,
    openai.InternalServerError,
)


def _retryable(e: BaseException) -> bool:
    if isinstance(e, _RETRYABLE):
        return True
    return isinstance(e, openai.APIStatusError) and (e.status_code >= 500 or e.status_code in (408, 409))


def _retry_after(e: BaseException) -> float | None:
    resp = getattr(e, "response", None)
    if resp is None:
        return None
    headers = resp.headers
    try:
        if headers.get("retry-after-ms") is not None:
            return float(headers["retry-after-ms"]) / 1000.0
        if headers.get("retry-after") is not None:
            return float(headers["retry-after"])
    except (TypeError, ValueError):
        return None  # an HTTP-date: fall back to exponential backoff
    return None


class _Session:
    """Per event loop: the async client and the concurrency semaphore (both are loop-bound)."""

    def __init__(self, client: openai.AsyncOpenAI, concurrency: int):
        self.client = client
        self.sem = asyncio.Semaphore(concurrency)
        self.loop = asyncio.get_running_loop()


class _LoopThread:
    """A private event loop in a daemon thread, holding the sync API's session across calls.

    It references no judge (so the judge can be garbage collected); a forked
    child starts its own loop instead of using the parent's dead thread.
    """

    def __init__(self, name: str):
        self.name = name
        self.session: _Session | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = -1

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self.name, daemon=True)
                thread.start()
                self._loop, self._thread, self._pid, self.session = loop, thread, os.getpid(), None
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("the sync judge API was called on the judge's own loop; await the a* method")
        fut = asyncio.run_coroutine_threadsafe(coro, self._ensure())
        try:
            return fut.result()
        except BaseException:
            fut.cancel()  # e.g. KeyboardInterrupt: do not leave the calls running
            raise

    def stop(self) -> None:
        with self._lock:
            loop, thread, session = self._loop, self._thread, self.session
            self._loop = self._thread = self.session = None
        if loop is None or thread is None or self._pid != os.getpid() or not thread.is_alive():
            return
        if session is not None:
            try:
                asyncio.run_coroutine_threadsafe(session.client.close(), loop).result(timeout=10)
            except Exception as e:  # closing is best effort: the process may be exiting
                log.debug("closing the judge client failed: %s", e)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if not thread.is_alive():
            loop.close()


class OpenAIJudge(Judge):
    name = "openai"

    def __init__(
        self,
        base_url: str = "https://api.openai.com/v1",
        model: str = "gpt-4o-2024-11-20",
        api_key_env: str = "OPENAI_API_KEY",
        require_api_key: bool = True,
        mode: str = "pairwise",
        position_swap: bool = False,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        json_mode: bool = True,
        concurrency: int = 32,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        retry_after_max: float = 60.0,
        cache: bool = True,
        cache_path: str | None = None,
        extra_body: dict[str, Any] | None = None,
        http_backend: str = "aiohttp",
    ):
        super().__init__()
        if mode not in MODES:
            raise JudgeConfigError(f"judge mode {mode!r} unknown; use one of {MODES}")
        if http_backend not in HTTP_BACKENDS:
            raise JudgeConfigError(f"judge http_backend {http_backend!r} unknown; use one of {HTTP_BACKENDS}")
        if concurrency < 1 or max_retries < 0:
            raise JudgeConfigError("judge: concurrency must be >= 1 and max_retries >= 0")
        self.require_api_key = require_api_key
        self.base_url, self.model, self.api_key_env = base_url, model, api_key_env
        self.__api_key = self._read_key()  # name-mangled, never logged, cached, pickled or in repr
        self.mode, self.position_swap = mode, position_swap
        self.temperature, self.max_tokens, self.json_mode = temperature, max_tokens, json_mode
        self.concurrency, self.timeout, self.max_retries = concurrency, timeout, max_retries
        self.backoff_base, self.backoff_max, self.retry_after_max = backoff_base, backoff_max, retry_after_max
        self.extra_body = dict(extra_body or {})
        self.http_backend = http_backend
        self.cache = JudgeCache(cache_path) if cache else None
        self._runner = _LoopThread("openai-judge")
        self._finalizer = weakref.finalize(self, self._runner.stop)
        self.prompt_version = self.prompt_version_of(mode, position_swap)
        self._judge_id = f"openai:{model}"

    @staticmethod
    def prompt_version_of(mode: str = "pairwise", position_swap: bool = False, **_: Any) -> str:
        """The prompt version this config uses, without building a judge (it enters the policy key)."""
        return prompts.VERSIONS[mode] + ("+swap" if mode == "pairwise" and position_swap else "")

    def __repr__(self) -> str:
        return (
            f"OpenAIJudge(model={self.model!r}, base_url={self.base_url!r}, mode={self.mode!r}, "
            f"api_key_env={self.api_key_env!r}, cache={self.cache!r})"
        )

    # ---------------------------------------------------------------- sync API (the judge's own loop)
    def judge(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        return self._run(lambda s: self._judge_all(s, requests))

    def judge_pairs(
        self, pairs: Sequence[tuple[JudgeRequest, JudgeRequest]]
    ) -> list[tuple[Judgment, Judgment]]:
        self._check_pairs(pairs)
        return self._run(lambda s: self._judge_pairs(s, pairs))

    def prior_weights(self, items: Sequence[tuple[str, Rubric]]) -> list[list[float] | None]:
        return self._run(lambda s: self._prior_weights(s, items))

    def _run(self, make: Callable[[_Session], Coroutine[Any, Any, T]]) -> T:
        """Run on the judge's loop thread (works from plain code, other threads and running loops)."""
        runner = self._runner

        async def go() -> T:
            if runner.session is None or runner.session.loop is not asyncio.get_running_loop():
                runner.session = _Session(self._client(), self.concurrency)
            return await make(runner.session)

        return runner.run(go())

    def close(self) -> None:
        """Close the sync API's client and loop thread, and the cache connection (reopened on use)."""
        self._finalizer()
        self._finalizer = weakref.finalize(self, self._runner.stop)
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> OpenAIJudge:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _read_key(self) -> str:
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            return key
        if self.require_api_key and not _is_loopback(self.base_url):
            raise JudgeConfigError(
                f"openai judge: environment variable {self.api_key_env!r} is not set; it must hold the API key "
                f"for {self.base_url} (or set require_api_key: false for a server without auth, e.g. vLLM)"
            )
        return "EMPTY"  # vLLM / loopback servers accept any key

    def __getstate__(self) -> dict[str, Any]:
        """A copy (pickle, deepcopy) holds no key and no loop: it re-reads the key from the
        environment and starts its own loop thread on first use."""
        state = dict(self.__dict__)
        for k in ("_runner", "_finalizer", "_OpenAIJudge__api_key"):
            state.pop(k)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__api_key = self._read_key()
        self._runner = _LoopThread("openai-judge")
        self._finalizer = weakref.finalize(self, self._runner.stop)

    def stats(self) -> dict[str, float]:
        out = super().stats()
        n = self.counters.get("latency_count", 0)
        out["judge/latency_mean_s"] = float(self.counters.get("latency_sum_s", 0.0) / n) if n else 0.0
        return out

    # ---------------------------------------------------------------- async API
    def _client(self) -> openai.AsyncOpenAI:
        http_client = (
            openai.DefaultAioHttpClient(timeout=self.timeout) if self.http_backend == "aiohttp" else None
        )
        return openai.AsyncOpenAI(
            api_key=self.__api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=0,
            http_client=http_client,
        )

    @asynccontextmanager
    async def _session(self):
        client = self._client()
        try:
            yield _Session(client, self.concurrency)
        finally:
            await client.close()

    async def ajudge(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        async with self._session() as s:
            return await self._judge_all(s, requests)

    async def ajudge_pairs(
        self, pairs: Sequence[tuple[JudgeRequest, JudgeRequest]]
    ) -> list[tuple[Judgment, Judgment]]:
        self._check_pairs(pairs)
        async with self._session() as s:
            return await self._judge_pairs(s, pairs)

    async def aprior_weights(self, items: Sequence[tuple[str, Rubric]]) -> list[list[float] | None]:
        async with self._session() as s:
            return await self._prior_weights(s, items)

    async def _judge_all(self, s: _Session, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        if self.mode == "rubric":
            return list(await asyncio.gather(*(self._pointwise(s, r) for r in requests)))
        if self.mode == "per_item":
            return list(await asyncio.gather(*(self._per_item(s, r) for r in requests)))
        # pairwise: consecutive requests with the same question+rubric form a pair
        jobs: list[Awaitable[Any]] = []
        spans: list[int] = []
        i = 0
        while i < len(requests):
            r = requests[i]
            if i + 1 < len(requests) and _same_item(r, requests[i + 1]):
                jobs.append(self._pair(s, r, requests[i + 1]))
                spans.append(2)
                i += 2
            else:
                jobs.append(self._pointwise(s, r))
                spans.append(1)
                i += 1
        out: list[Judgment] = []
        for res, n in zip(await asyncio.gather(*jobs), spans, strict=True):
            out.extend(res if n == 2 else [res])
        return out

    @staticmethod
    def _check_pairs(pairs: Sequence[tuple[JudgeRequest, JudgeRequest]]) -> None:
        for a, b in pairs:
            if not _same_item(a, b):
                raise ValueError("judge_pairs: both requests of a pair need the same question and rubric")

    async def _judge_pairs(
        self, s: _Session, pairs: Sequence[tuple[JudgeRequest, JudgeRequest]]
    ) -> list[tuple[Judgment, Judgment]]:
        return list(await asyncio.gather(*(self._pair(s, a, b) for a, b in pairs)))

    async def _prior_weights(
        self, s: _Session, items: Sequence[tuple[str, Rubric]]
    ) -> list[list[float] | None]:
        async def one(question: str, rubric: Rubric) -> list[float] | None:
            k = len(rubric)
            key = cache_key(self.model, "prior", prompts.PRIOR_VERSION, question, rubric.to_json(), [])
            res, _, _, _ = await self._call(
                s, key, prompts.prior_messages(question, rubric), lambda o: validate_prior_reply(o, k)
            )
            return None if res is None else res["weights"]

        return list(await asyncio.gather(*(one(q, r) for q, r in items)))

    # ---------------------------------------------------------------- one judgment
    def _judgment(
        self, scores: list[Score], rationale: str, version: str, cached: bool, attempts: int
    ) -> Judgment:
        self.counters["judgments"] += 1
        return Judgment(
            scores=scores,
            rationale=rationale,
            judge=self._judge_id,
            prompt_version=version,
            cached=cached,
            attempts=attempts,
        )

    async def _pointwise(self, s: _Session, r: JudgeRequest) -> Judgment:
        kinds = r.rubric.kinds
        key = cache_key(
            self.model, "rubric", prompts.RUBRIC_VERSION, r.question, r.rubric.to_json(), [r.response]
        )
        res, cached, attempts, err = await self._call(
            s,
            key,
            prompts.rubric_messages(r.question, r.rubric, r.response),
            lambda o: validate_rubric_reply(o, kinds),
        )
        if res is None:
            return self._judgment(
                [None] * len(kinds), f"unscorable: {err}", prompts.RUBRIC_VERSION, False, attempts
            )
        return self._judgment(res["scores"], res["rationale"], prompts.RUBRIC_VERSION, cached, attempts)

    async def _one_order(self, s: _Session, a: JudgeRequest, b: JudgeRequest):
        kinds = a.rubric.kinds
        key = cache_key(
            self.model,
            "pairwise",
            prompts.PAIRWISE_VERSION,
            a.question,
            a.rubric.to_json(),
            [a.response, b.response],
        )
        msgs = prompts.pairwise_messages(a.question, a.rubric, a.response, b.response)
        return await self._call(s, key, msgs, lambda o: validate_pairwise_reply(o, kinds))

    async def _pair(self, s: _Session, a: JudgeRequest, b: JudgeRequest) -> tuple[Judgment, Judgment]:
        k = len(a.rubric)
        none: list[Score] = [None] * k
        if not self.position_swap:
            res, cached, attempts, err = await self._one_order(s, a, b)
            v = prompts.PAIRWISE_VERSION
            if res is None:
                return (
                    self._judgment(list(none), f"unscorable: {err}", v, False, attempts),
                    self._judgment(list(none), f"unscorable: {err}", v, False, attempts),
                )
            return (
                self._judgment(res["a"], res["rationale"], v, cached, attempts),
                self._judgment(res["b"], res["rationale"], v, cached, attempts),
            )
        (r1, c1, n1, e1), (r2, c2, n2, e2) = await asyncio.gather(
            self._one_order(s, a, b), self._one_order(s, b, a)
        )
        v, attempts, kinds = self.prompt_version, n1 + n2, a.rubric.kinds
        if r1 is None and r2 is None:
            msg = f"unscorable: {e1}; {e2}"
            return (
                self._judgment(list(none), msg, v, False, attempts),
                self._judgment(list(none), msg, v, False, attempts),
            )
        if r1 is None or r2 is None:
            self.counters["swap_partial"] += 1
        a1, b1 = (r1["a"], r1["b"]) if r1 else (none, none)
        b2, a2 = (r2["a"], r2["b"]) if r2 else (none, none)
        rationale = f"[A,B] {r1['rationale'] if r1 else 'unscorable'} | [B,A] {r2['rationale'] if r2 else 'unscorable'}"
        cached = bool(r1 is not None and r2 is not None and c1 and c2)
        return (
            self._judgment(combine_swapped(a1, a2, kinds), rationale, v, cached, attempts),
            self._judgment(combine_swapped(b1, b2, kinds), rationale, v, cached, attempts),
        )

    async def _per_item(self, s: _Session, r: JudgeRequest) -> Judgment:
        async def one(c):
            crit = Rubric(criteria=(c,)).to_json()
            key = cache_key(self.model, "per_item", prompts.PER_ITEM_VERSION, r.question, crit, [r.response])
            msgs = prompts.per_item_messages(r.question, c, r.response)
            return await self._call(s, key, msgs, validate_per_item_reply)

        results = await asyncio.gather(*(one(c) for c in r.rubric.criteria))
        scores: list[Score] = []
        notes = []
        for k, (c, (res, _, _, err)) in enumerate(zip(r.rubric.criteria, results, strict=True), start=1):
            if res is None:
                scores.append(None)
                notes.append(f"[{k}] unscorable: {err}")
            else:
                scores.append(res["met"] if c.kind == "hard_rule" else (10 if res["met"] else 0))
                notes.append(f"[{k}] {res['rationale']}")
        cached = all(res is not None and hit for res, hit, _, _ in results)
        attempts = sum(n for _, _, n, _ in results)
        return self._judgment(scores, "\n".join(notes), prompts.PER_ITEM_VERSION, cached, attempts)

    # ---------------------------------------------------------------- one call: cache, retries, validation
    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        ra = _retry_after(exc) if exc is not None else None
        if ra is not None:
            return max(0.0, min(ra, self.retry_after_max))
        return wait_exponential_jitter(
            initial=self.backoff_base, max=self.backoff_max, jitter=self.backoff_base
        )(state)

    async def _call(
        self,
        s: _Session,
        key: str,
        messages: list[dict[str, str]],
        validate: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> tuple[dict[str, Any] | None, bool, int, str]:
        """(validated result or None, from cache, HTTP attempts, last error)."""
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.counters["cache_hits"] += 1
                return hit, True, 0, ""
        attempts = 0
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        body.update(self.extra_body)

        async def attempt() -> dict[str, Any]:
            nonlocal attempts
            attempts += 1
            async with s.sem:
                self.counters["requests"] += 1
                t0 = time.perf_counter()
                try:
                    # the client's generic POST (same auth, headers, errors and retries policy as
                    # chat.completions.create) skips the typed-params transform and, with
                    # cast_to=object, the response-model build: together ~45% of the SDK's CPU
                    # per call; reply_content checks the shape instead
                    resp = await s.client.post("/chat/completions", body=body, cast_to=object)
                except openai.APIStatusError as e:
                    self.counters["http_errors"] += 1
                    if e.status_code == 429:
                        self.counters["rate_limited"] += 1
                    if e.status_code in (401, 403, 404):
                        raise JudgeConfigError(
                            f"openai judge: HTTP {e.status_code} from {self.base_url} for model {self.model!r} "
                            f"(check the URL, the model name and ${self.api_key_env})"
                        ) from None
                    raise
                except openai.APITimeoutError:
                    self.counters["http_errors"] += 1
                    self.counters["timeouts"] += 1
                    raise
                except openai.APIConnectionError:
                    self.counters["http_errors"] += 1
                    raise
                finally:
                    self.counters["latency_sum_s"] += time.perf_counter() - t0
                    self.counters["latency_count"] += 1
            try:
                return validate(parse_json_object(reply_content(resp)))
            except InvalidReply:
                self.counters["invalid_replies"] += 1
                raise

        def before_sleep(state: RetryCallState) -> None:
            self.counters["retries"] += 1
            exc = state.outcome.exception() if state.outcome else None
            log.debug("judge retry %d after %s: %s", state.attempt_number, type(exc).__name__, str(exc)[:200])

        try:
            async for att in AsyncRetrying(
                stop=stop_after_attempt(self.max_retries + 1),
                wait=self._wait,
                retry=retry_if_exception(_retryable),
                before_sleep=before_sleep,
                reraise=True,
            ):
                with att:
                    result = await attempt()
        except JudgeConfigError:
            raise
        except (InvalidReply, openai.OpenAIError) as e:
            self.counters["unscorable"] += 1
            err = f"{type(e).__name__}: {str(e)[:200]}"
            log.warning("judge call unscorable after %d attempt(s): %s", attempts, err)
            return None, False, attempts, err
        if self.cache is not None:
            self.cache.put(key, result)
        return result, False, attempts, ""


def _same_item(a: JudgeRequest, b: JudgeRequest) -> bool:
    return a.question == b.question and a.rubric == b.rubric


@component("judge", "openai")
@dataclass
class OpenAIJudgeConf:
    _target_: str = "evals.judges.openai_judge.OpenAIJudge"
    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-2024-11-20"
    api_key_env: str = "OPENAI_API_KEY"  # the NAME of the variable holding the key, never the key
    require_api_key: bool = True
    mode: str = "pairwise"  # rubric | pairwise | per_item
    position_swap: bool = False
    temperature: float = 0.0
    max_tokens: int = 1024
    json_mode: bool = True
    concurrency: int = 32
    timeout: float = 60.0
    max_retries: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    cache: bool = True
    cache_path: str | None = (
        None  # None = in-memory (per process); the YAML sets ${cache_dir}/judge_cache.sqlite
    )
    extra_body: dict[str, Any] | None = None
    http_backend: str = "aiohttp"  # aiohttp (the SDK's aiohttp transport) | httpx (the SDK default)
