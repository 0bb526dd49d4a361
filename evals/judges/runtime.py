"""The openai judge's runtime: its private event loop, the client, and one call with retries.

Transport and lifetime: the sync API runs on one private event loop in a daemon thread
that keeps one client -- and its keep-alive connections -- for the judge's lifetime
(:class:`LoopThread`); ``http_backend: aiohttp`` puts the SDK's own aiohttp transport
under the client (~20% less CPU per request than its default httpx transport).

One call (:func:`request`): an invalid reply, HTTP 429 (Retry-After honoured, capped),
5xx, a timeout or a connection error is retried with exponential backoff (or the server's
Retry-After), plus jitter (tenacity), up to ``max_retries`` times; the SDK's own retries are off so one policy
counts attempts. Not retried: a 400/422, and a 5xx whose message is a request
validation error (llama-cpp-python's server answers a request it cannot parse, e.g. a
``response_format`` spelling it does not know, with HTTP 500 and a pydantic validation
message): the same request would fail the same way, so it is unscorable at once and
counted as ``bad_requests`` (with a warning naming ``judge.dialect``/``json_mode``).
:class:`Unscorable` from the reply's extractor (e.g. too little probability mass on the
allowed answers) is not retried either: the server is deterministic at temperature 0.
401/403/404 raise :class:`JudgeConfigError`: a wrong key, model or URL is not a
per-reply failure. Every reply's ``usage`` adds to the ``prompt_tokens`` and
``completion_tokens`` counters: the judge's work in tokens.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from evals.judges.options import HttpBackend
from evals.judges.replies import InvalidReply

log = logging.getLogger("evals.judges.openai_judge")
T = TypeVar("T")

# what pydantic / FastAPI say about a request body they cannot validate
_VALIDATION = re.compile(r"validation error|Input should be|Extra inputs are not permitted|Field required")


class JudgeConfigError(RuntimeError):
    """Misconfiguration (missing key, wrong URL/model, bad mode): fails loudly, never a silent None."""


class Unscorable(Exception):
    """A well-formed reply that cannot be scored (not retried: the same request gets the same reply)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def is_bad_request(e: BaseException) -> bool:
    """A request the server will never accept: 400/422, or a 5xx that is really a validation error."""
    if not isinstance(e, openai.APIStatusError):
        return False
    if e.status_code in (400, 422):
        return True
    return e.status_code >= 500 and bool(_VALIDATION.search(str(e.message)))


def retryable(e: BaseException) -> bool:
    if isinstance(e, InvalidReply | openai.APITimeoutError | openai.APIConnectionError):
        return True
    if is_bad_request(e):
        return False
    return isinstance(e, openai.APIStatusError) and (e.status_code >= 500 or e.status_code in (408, 409, 429))


def retry_after(e: BaseException) -> float | None:
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


def timed_out(e: BaseException) -> bool:
    """Whether a failed request really timed out. The SDK's aiohttp transport reports a dropped or
    refused connection as a timeout too (``aiohttp.ClientConnectionError`` -> ``httpx.ConnectTimeout``
    -> ``APITimeoutError``): the root cause decides, so a dead server is counted as
    ``connection_errors``, not ``timeouts``."""
    root = e
    while root.__cause__ is not None:
        root = root.__cause__
    if root is e:
        return isinstance(e, openai.APITimeoutError)
    return isinstance(root, TimeoutError) or "Timeout" in type(root).__name__


def make_client(api_key: str, base_url: str, timeout: float, backend: HttpBackend) -> openai.AsyncOpenAI:
    http_client = openai.DefaultAioHttpClient(timeout=timeout) if backend is HttpBackend.aiohttp else None
    return openai.AsyncOpenAI(
        api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0, http_client=http_client
    )


class Session:
    """Per event loop: the async client, the concurrency semaphore (both are loop-bound) and the
    model id the server says it serves (asked once, for the cache key)."""

    def __init__(self, client: openai.AsyncOpenAI, concurrency: int):
        self.client = client
        self.sem = asyncio.Semaphore(concurrency)
        self.loop = asyncio.get_running_loop()
        self._served: str | None = None
        self._served_lock = asyncio.Lock()
        self._probes = 0  # GET /models asked so far

    async def served(self, requested: str, timeout: float) -> str | None:
        """The model this server serves for a request naming ``requested`` (``GET /models``).

        ``requested`` itself when the server lists it, or lists several models, or has no ``/models``;
        the one id listed otherwise -- a server that serves one model whatever a request names
        (llama.cpp's) then keys its verdicts by what it really serves. ``None`` while the server
        cannot be asked (down, or too slow under load): that is not remembered, the next call asks
        again, so a probe that failed once never keys verdicts differently from one that answered."""
        probes_before = self._probes
        async with self._served_lock:
            if self._served is None and self._probes == probes_before:  # calls that waited on a failed probe
                self._probes += 1  # share its answer: one probe at a time, never one per waiting call
                self._served = await served_model(self.client, requested, timeout)
        return self._served


async def served_model(client: openai.AsyncOpenAI, requested: str, timeout: float) -> str | None:
    """``GET /models``: the id to key verdicts by, or ``None`` when the server did not answer."""
    try:
        data = await client.get("/models", cast_to=object, options={"timeout": timeout})
    except openai.NotFoundError:
        return requested  # no /models: the configured name is all there is to know
    except openai.OpenAIError as e:
        log.debug("GET /models failed (%s): this call is neither read from nor written to the cache",
                  type(e).__name__)
        return None
    try:
        ids = [m.get("id") for m in data.get("data") or [] if isinstance(m, dict)]  # type: ignore[union-attr]
    except (AttributeError, TypeError):
        return requested  # an answer, but no model list in it
    return str(ids[0]) if len(ids) == 1 and ids[0] != requested and isinstance(ids[0], str) else requested


class LoopThread:
    """A private event loop in a daemon thread, holding the sync API's session across calls.

    It references no judge (so the judge can be garbage collected); a forked
    child starts its own loop instead of using the parent's dead thread.
    """

    def __init__(self, name: str):
        self.name = name
        self.session: Session | None = None
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


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    retry_invalid: bool = True  # False: an invalid reply is final (a greedy local server repeats it)

    def retries(self, e: BaseException) -> bool:
        return retryable(e) and (self.retry_invalid or not isinstance(e, InvalidReply))

    def wait(self, state: RetryCallState) -> float:
        """Retry-After (capped at ``retry_after_max``) when the server sent one, else exponential
        backoff; plus a uniform jitter up to ``backoff_base`` either way, so clients told the same
        Retry-After, or failed by the same fault, do not come back at the same instant."""
        exc = state.outcome.exception() if state.outcome else None
        ra = retry_after(exc) if exc is not None else None
        if ra is not None:
            return max(0.0, min(ra, self.retry_after_max)) + random.uniform(0.0, self.backoff_base)
        return wait_exponential_jitter(initial=self.backoff_base, max=self.backoff_max, jitter=self.backoff_base)(
            state
        )


Extract = Callable[[Any], dict[str, Any]]


def count_usage(resp: Any, counters: Counter[str]) -> None:
    """Add a reply's ``usage`` (the server's token counts) to ``prompt_tokens``/``completion_tokens``:
    the work the judge did, valid reply or not. A reply without one is counted ``usage_missing``."""
    usage = resp.get("usage") if isinstance(resp, dict) else None
    if not isinstance(usage, dict):
        counters["usage_missing"] += 1
        return
    for k in ("prompt_tokens", "completion_tokens"):
        v = usage.get(k)
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            counters[k] += v


async def request(
    s: Session,
    body: dict[str, Any],
    extract: Extract,
    policy: RetryPolicy,
    counters: Counter[str],
    where: str,
) -> tuple[dict[str, Any] | None, int, str]:
    """POST one chat completion with retries: (extracted result or None, HTTP attempts, last error).

    ``extract`` turns the raw JSON body into the result; it raises :class:`InvalidReply`
    (retried, counted ``invalid_replies``) or :class:`Unscorable` (not retried)."""
    attempts = 0

    async def attempt() -> dict[str, Any]:
        nonlocal attempts
        attempts += 1
        async with s.sem:
            counters["requests"] += 1
            t0 = time.perf_counter()
            try:
                # the client's generic POST (same auth, headers and errors as chat.completions.create)
                # skips the typed-params transform and, with cast_to=object, the response-model build:
                # together ~45% of the SDK's CPU per call; the extractor checks the shape instead
                resp = await s.client.post("/chat/completions", body=body, cast_to=object)
            except openai.APIStatusError as e:
                counters["http_errors"] += 1
                if e.status_code == 429:
                    counters["rate_limited"] += 1
                if e.status_code in (401, 403, 404):
                    raise JudgeConfigError(f"openai judge: HTTP {e.status_code} from {where}") from None
                raise
            except openai.APIConnectionError as e:  # APITimeoutError included
                counters["http_errors"] += 1
                counters["timeouts" if timed_out(e) else "connection_errors"] += 1
                raise
            finally:
                counters["latency_sum_s"] += time.perf_counter() - t0
                counters["latency_count"] += 1
        count_usage(resp, counters)
        try:
            return extract(resp)
        except InvalidReply:
            counters["invalid_replies"] += 1
            raise

    def before_sleep(state: RetryCallState) -> None:
        counters["retries"] += 1
        counters["retry_wait_s"] += state.next_action.sleep if state.next_action else 0.0  # backoff or Retry-After
        exc = state.outcome.exception() if state.outcome else None
        log.debug("judge retry %d after %s: %s", state.attempt_number, type(exc).__name__, str(exc)[:200])

    try:
        async for att in AsyncRetrying(
            stop=stop_after_attempt(policy.max_retries + 1),
            wait=policy.wait,
            retry=retry_if_exception(policy.retries),
            before_sleep=before_sleep,
            reraise=True,
        ):
            with att:
                result = await attempt()
    except JudgeConfigError:
        raise
    except Unscorable as e:
        counters["unscorable"] += 1
        counters[e.reason] += 1
        return None, attempts, f"unscorable: {e}"
    except (InvalidReply, openai.OpenAIError) as e:
        counters["unscorable"] += 1
        if is_bad_request(e):
            counters["bad_requests"] += 1
            if counters["bad_requests"] == 1:
                log.warning(
                    "the judge server rejected a request (%s); if it names response_format, check judge.dialect "
                    "and judge.json_mode",
                    str(e)[:200],
                )
        err = f"{type(e).__name__}: {str(e)[:200]}"
        log.warning("judge call unscorable after %d attempt(s): %s", attempts, err)
        return None, attempts, err
    return result, attempts, ""
