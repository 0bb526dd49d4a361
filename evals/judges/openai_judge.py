"""The ``openai`` judge: any OpenAI-compatible chat-completions server (OpenAI, vLLM, llama.cpp's).

One class for every server; what differs is configuration:

- ``mode`` picks the protocol (``evals.judges.protocols``: ``rubric``, ``pairwise``,
  ``per_item``, ``logprob``, ``group``: a group's responses in one call, at most ``group_size``);
  ``prior_weights(items)`` asks the prior-weight prompt
  ``{"weights": [...]}`` and returns the raw list (K finite numbers) or None (sign/sum
  checks and fallbacks belong to ``methods.prior``).
- ``json_mode`` (``off | json_object | json_schema``) and ``dialect`` (``openai | vllm |
  llamacpp``) decide ``response_format``: with ``json_schema`` the server decodes under a
  JSON Schema generated from the rubric (``evals.judges.replies``), spelled the way that
  server understands. Every reply is validated by the same strict pydantic model whatever
  was asked (lengths equal K; Hard Rule positions JSON booleans; Principle positions JSON
  integers 0-10).
- retries, timeouts and the loop thread live in ``evals.judges.runtime``.

After the bounded retries a call is unscorable: every affected score is ``None``, never 0.
The API key is read from the environment variable named by ``api_key_env``; the config
only ever holds that name. The sync API (``judge``/``judge_pairs``/``prior_weights``)
runs on one private event loop that keeps one client for the judge's lifetime;
``close()`` (also run at garbage collection and exit) shuts it down. The ``a*``
coroutines, for callers with their own loop, open a client per call.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import weakref
from collections.abc import Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlparse

from pydantic import BaseModel

from core.registry import component
from core.rubric import Rubric
from evals.judges import cache as judge_cache
from evals.judges import prompts
from evals.judges.base import Judge, JudgeRequest, Judgment, Score
from evals.judges.cache import JudgeCache, cache_key
from evals.judges.options import Dialect, HttpBackend, JsonMode, JudgeMode, ServerKind, choice
from evals.judges.protocols import protocol_for
from evals.judges.protocols.pairwise import PairwiseProtocol, check_pairs, combine_swapped, same_item
from evals.judges.replies import (  # noqa: F401 (re-exported: the judge's reply API)
    RATIONALE_MAX_CHARS,
    InvalidReply,
    max_reply_chars,
    parse_json_object,
    prior_model,
    reply_content,
    response_format,
    validate_pairwise_reply,
    validate_per_item_reply,
    validate_prior_reply,
    validate_rubric_reply,
    validate_scores,
)
from evals.judges.runtime import JudgeConfigError, LoopThread, RetryPolicy, Session, make_client, request

__all__ = ["InvalidReply", "JudgeConfigError", "OpenAIJudge", "combine_swapped"]

MODES = tuple(m.value for m in JudgeMode)
HTTP_BACKENDS = tuple(b.value for b in HttpBackend)
T = TypeVar("T")
# GET /models, for the cache key: cheap for any server, so 10 s is ample even on a loaded machine
# (the request timeout can be far shorter), and a server that is down refuses at once
SERVED_PROBE_TIMEOUT_S = 10.0


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _choice(enum: Any, value: Any, field: str) -> Any:
    try:
        return choice(enum, value, field)
    except ValueError as e:
        raise JudgeConfigError(str(e)) from None


@component("judge", "openai")  # the config schema is this signature: every default is written here once
class OpenAIJudge(Judge):
    name = "openai"
    prior_prompt_version = prompts.PRIOR_VERSION  # as the judge of prior weights (harness.records.keys)

    def __init__(
        self,
        base_url: str | None = "https://api.openai.com/v1",  # None: not set (see ``managed``)
        model: str = "gpt-4o-2024-11-20",
        api_key_env: str = "OPENAI_API_KEY",  # the NAME of the variable holding the key, never the key
        require_api_key: bool = True,
        # rubric | pairwise (the paper's) | per_item (HealthBench's) | logprob | group (one call per group)
        mode: JudgeMode = JudgeMode.pairwise,
        position_swap: bool = False,  # pairwise only: also score (B, A) and combine
        temperature: float = 0.0,
        max_tokens: int = 1024,
        # off | json_object | json_schema (constrained to a schema from the rubric); a bool is the
        # old spelling (true = json_object)
        json_mode: JsonMode = JsonMode.json_object,
        dialect: Dialect = Dialect.openai,  # how response_format spells a schema: openai | vllm | llamacpp
        # rubric/pairwise modes: the most characters of the rationale written before the scores (0: none,
        # the reply is the scores alone: fewer tokens a verdict)
        rationale_chars: int = RATIONALE_MAX_CHARS,
        group_size: int = 0,  # group mode: the most responses one call scores (0: the whole group)
        logprob_top: int = 20,  # logprob mode: alternatives asked for the one answer token
        logprob_min_mass: float = 0.1,  # logprob mode: less mass on the allowed answers -> unscorable
        concurrency: int = 32,
        timeout: float = 60.0,
        max_retries: int = 4,
        # false: an invalid reply is not asked again (llama.cpp at temperature 0 returns the same reply;
        # HTTP errors and timeouts are still retried)
        retry_invalid: bool = True,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        retry_after_max: float = 60.0,
        # training stops (its last checkpoint kept) once more than this share of the rollouts of the last
        # ``unscorable_window`` steps is unscorable: a dead judge, not a weak one (harness.cell.starvation)
        max_unscorable: float = 0.9,
        unscorable_window: int = 3,
        cache: bool = True,
        cache_path: str | None = None,  # None = in-memory (per process); conf/judge/openai.yaml sets a file
        extra_body: dict[str, Any] | None = None,
        # aiohttp (the SDK's aiohttp transport: less CPU per request) | httpx (the SDK default)
        http_backend: HttpBackend = HttpBackend.aiohttp,
        # with base_url None, the harness serves ``model`` for the run on ``server`` and passes its URL
        # in (harness.models.judge_run); the judge itself never starts a server
        managed: bool = False,
        server: ServerKind = ServerKind.llamacpp,  # llamacpp (a packaged GGUF) | vllm (any model vLLM loads)
    ):
        super().__init__()
        if base_url is None:
            raise JudgeConfigError(
                "openai judge: no base_url" + (" (judge.managed: the harness starts the server; run through "
                                               "python -m harness.sweep / harness.evaluate)" if managed else "")
            )
        self.managed = managed
        self.server = _choice(ServerKind, server, "server")
        self.mode = _choice(JudgeMode, mode, "mode")
        self.http_backend = _choice(HttpBackend, http_backend, "http_backend")
        if isinstance(json_mode, bool):  # the old boolean spelling: true = json_object
            json_mode = "json_object" if json_mode else "off"
        self.json_mode = _choice(JsonMode, json_mode, "json_mode")
        self.dialect = _choice(Dialect, dialect, "dialect")
        if concurrency < 1 or max_retries < 0:
            raise JudgeConfigError("judge: concurrency must be >= 1 and max_retries >= 0")
        if rationale_chars < 0:
            raise JudgeConfigError("judge: rationale_chars must be >= 0 (0: no rationale)")
        self.rationale_chars = int(rationale_chars)
        if group_size < 0:
            raise JudgeConfigError("judge: group_size must be >= 0 (0: the whole group in one call)")
        self.group_size = int(group_size)
        if not 1 <= logprob_top <= 20 or not 0.0 <= logprob_min_mass < 1.0:
            raise JudgeConfigError("judge: logprob_top must be 1..20 (OpenAI's cap) and logprob_min_mass in [0, 1)")
        self.require_api_key = require_api_key
        self.base_url, self.model, self.api_key_env = base_url, model, api_key_env
        self.__api_key = self._read_key()  # name-mangled, never logged, cached, pickled or in repr
        self.position_swap = position_swap
        self.temperature, self.max_tokens = temperature, max_tokens
        self.logprob_top, self.logprob_min_mass = int(logprob_top), float(logprob_min_mass)
        self.concurrency, self.timeout, self.max_retries = concurrency, timeout, max_retries
        self.policy = RetryPolicy(max_retries, backoff_base, backoff_max, retry_after_max, retry_invalid)
        if not 0.0 <= max_unscorable <= 1.0 or unscorable_window < 1:
            raise JudgeConfigError("judge: max_unscorable must be in [0, 1] and unscorable_window >= 1")
        self.max_unscorable, self.unscorable_window = float(max_unscorable), int(unscorable_window)
        self.extra_body = dict(extra_body or {})
        self.cache = JudgeCache(cache_path) if cache else None
        self._runner = LoopThread("openai-judge")
        self._finalizer = weakref.finalize(self, self._runner.stop)
        self.protocol = protocol_for(self.mode, self)
        self.prompt_version = getattr(self.protocol, "full_version", self.protocol.version)
        self._judge_id = f"openai:{model}"

    @staticmethod
    def prompt_version_of(
        mode: str | None = None, position_swap: bool = False, rationale_chars: int = RATIONALE_MAX_CHARS, **_: Any
    ) -> str:
        """The prompt version a config uses, without building a judge (it enters the policy key);
        no ``mode`` = the constructor's default."""
        import inspect

        from evals.judges.protocols import PROTOCOLS

        if mode is None:
            mode = inspect.signature(OpenAIJudge.__init__).parameters["mode"].default
        mode = str(getattr(mode, "value", mode))
        version = PROTOCOLS[JudgeMode(str(mode))].version
        if mode in ("rubric", "pairwise", "group"):
            version = prompts.versioned(version, int(rationale_chars))
        return version + ("+swap" if str(mode) == "pairwise" and position_swap else "")

    def __repr__(self) -> str:
        return (
            f"OpenAIJudge(model={self.model!r}, base_url={self.base_url!r}, mode={self.mode.value!r}, "
            f"api_key_env={self.api_key_env!r}, cache={self.cache!r})"
        )

    # ---------------------------------------------------------------- sync API (the judge's own loop)
    def judge(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        return self._run(lambda s: self.protocol.judge_all(s, requests))

    def judge_pairs(self, pairs: Sequence[tuple[JudgeRequest, JudgeRequest]]) -> list[tuple[Judgment, Judgment]]:
        check_pairs(pairs)
        return self._run(lambda s: self._pairs().judge_pairs(s, pairs))

    def prior_weights(self, items: Sequence[tuple[str, Rubric]]) -> list[list[float] | None]:
        return self._run(lambda s: self._prior_weights(s, items))

    def _pairs(self) -> PairwiseProtocol:
        return self.protocol if isinstance(self.protocol, PairwiseProtocol) else PairwiseProtocol(self)

    def _run(self, make: Callable[[Session], Coroutine[Any, Any, T]]) -> T:
        """Run on the judge's loop thread (works from plain code, other threads and running loops)."""
        runner = self._runner

        async def go() -> T:
            if runner.session is None or runner.session.loop is not asyncio.get_running_loop():
                runner.session = Session(self._client(), self.concurrency)
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
        for k in ("_runner", "_finalizer", "_OpenAIJudge__api_key", "protocol"):
            state.pop(k)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__api_key = self._read_key()
        self._runner = LoopThread("openai-judge")
        self._finalizer = weakref.finalize(self, self._runner.stop)
        self.protocol = protocol_for(self.mode, self)

    def stats(self) -> dict[str, float]:
        out = super().stats()
        n = self.counters.get("latency_count", 0)
        out["judge/latency_mean_s"] = float(self.counters.get("latency_sum_s", 0.0) / n) if n else 0.0
        return out

    # ---------------------------------------------------------------- async API
    def _client(self):
        return make_client(self.__api_key, self.base_url, self.timeout, self.http_backend)

    @asynccontextmanager
    async def _session(self):
        client = self._client()
        try:
            yield Session(client, self.concurrency)
        finally:
            await client.close()

    async def ajudge(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        async with self._session() as s:
            return await self.protocol.judge_all(s, requests)

    async def ajudge_pairs(
        self, pairs: Sequence[tuple[JudgeRequest, JudgeRequest]]
    ) -> list[tuple[Judgment, Judgment]]:
        check_pairs(pairs)
        async with self._session() as s:
            return await self._pairs().judge_pairs(s, pairs)

    async def aprior_weights(self, items: Sequence[tuple[str, Rubric]]) -> list[list[float] | None]:
        async with self._session() as s:
            return await self._prior_weights(s, items)

    async def _prior_weights(self, s: Session, items: Sequence[tuple[str, Rubric]]) -> list[list[float] | None]:
        async def one(question: str, rubric: Rubric) -> list[float] | None:
            model = prior_model(len(rubric))
            key = self.key("prior", prompts.PRIOR_VERSION, question, rubric.to_json(), [])
            body = self.json_body(prompts.prior_messages(question, rubric), model)
            res, _, _, _ = await self.call(
                s, key, body, self.content(lambda c: validate_prior_reply(parse_json_object(c), len(rubric)))
            )
            return None if res is None else res["weights"]

        return list(await asyncio.gather(*(one(q, r) for q, r in items)))

    # ---------------------------------------------------------------- what the protocols use
    def key(
        self, mode: str, version: str, question: str, rubric_json: str, responses: list[str], extra=()
    ) -> judge_cache.KeyParts:
        """What a call is about; :meth:`call` adds the request and the served model to make the cache key."""
        v = version + "".join(f"|{x}" for x in extra)
        return judge_cache.KeyParts(mode, v, question, rubric_json, tuple(responses))

    def cache_key(self, parts: judge_cache.KeyParts, body: dict[str, Any], served: str) -> str:
        """The cache key of one call: its parts, the whole request body (model, messages, sampling,
        ``response_format`` with its schema, ``extra_body`` such as thinking settings) and the model
        the server says it serves. Never the URL: a managed server gets a new port each run."""
        settings = {"request": body, "served_model": served}
        return cache_key(self.model, parts.mode, parts.version, parts.question, parts.rubric_json,
                         parts.responses, settings)

    def base_body(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens if max_tokens is None else max_tokens,
        }
        body.update(self.extra_body)
        return body

    def json_body(self, messages: list[dict[str, str]], reply_model: type[BaseModel]) -> dict[str, Any]:
        """A request for a JSON reply of ``reply_model``'s shape, in this server's spelling. Under a
        schema, ``max_tokens`` is at least the longest reply the schema admits: no reply is cut off."""
        bound = max_reply_chars(reply_model) if self.json_mode is JsonMode.json_schema else None
        body = self.base_body(messages, None if bound is None else max(self.max_tokens, bound))
        fmt = response_format(self.json_mode, self.dialect, reply_model)
        if fmt is not None:
            body.setdefault("response_format", fmt)
        return body

    @staticmethod
    def content(extract: Callable[[str | None], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
        """An extractor of the raw body that validates the first choice's message text."""
        return lambda data: extract(reply_content(data))

    def judgment(self, scores: list[Score], rationale: str, version: str, cached: bool, attempts: int) -> Judgment:
        self.counters["judgments"] += 1
        return Judgment(
            scores=scores,
            rationale=rationale,
            judge=self._judge_id,
            prompt_version=version,
            cached=cached,
            attempts=attempts,
        )

    async def call(
        self, s: Session, parts: judge_cache.KeyParts, body: dict[str, Any], extract: Callable[[Any], dict[str, Any]]
    ) -> tuple[dict[str, Any] | None, bool, int, str]:
        """(validated result or None, from cache, HTTP attempts, last error). Failures are not cached."""
        key = None
        if self.cache is not None:
            served = await s.served(self.model, SERVED_PROBE_TIMEOUT_S)
            if served is None:  # no key to trust: skipped, not keyed by a guess a later run would not make
                self.counters["cache_skipped"] += 1
            else:
                key = self.cache_key(parts, body, served)
                hit = self.cache.get(key)
                if hit is not None:
                    self.counters["cache_hits"] += 1
                    return hit, True, 0, ""
        where = f"{self.base_url} for model {self.model!r} (check the URL, the model name and ${self.api_key_env})"
        result, attempts, err = await request(s, body, extract, self.policy, self.counters, where)
        if result is not None and key is not None:
            self.cache.put(key, result)
        return result, False, attempts, err


_same_item = same_item  # the old private name
