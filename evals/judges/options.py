"""The judge's closed choices, as enums: a typo in a config fails at compose time, listing the valid values."""

from __future__ import annotations

from enum import StrEnum


class JudgeMode(StrEnum):
    """How one judgment is asked for (one protocol module each under ``evals.judges.protocols``)."""

    rubric = "rubric"  # one call per response, all K criteria as JSON
    pairwise = "pairwise"  # one call per two responses (the paper's protocol)
    per_item = "per_item"  # one call per criterion, {"criteria_met": bool} (HealthBench's grader)
    logprob = "logprob"  # one 1-token call per criterion, scored from the token probabilities
    group = "group"  # one call per group of responses to one question (a GRPO group's rollouts)


class JsonMode(StrEnum):
    """What ``response_format`` asks of the server (JSON modes only; logprob sends none)."""

    off = "off"  # none: the prompt alone asks for JSON
    json_object = "json_object"  # any JSON object (most servers' "JSON mode")
    json_schema = "json_schema"  # constrained decoding to a schema generated from the rubric


class Dialect(StrEnum):
    """How the server spells a JSON Schema in ``response_format`` (servers differ; never guessed from a URL)."""

    openai = "openai"  # {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}
    vllm = "vllm"  # the same spelling as OpenAI
    llamacpp = "llamacpp"  # llama-cpp-python's server: {"type": "json_object", "schema": {...}}


class ServerKind(StrEnum):
    """Which server the harness starts for a managed judge (``managed: true`` and no URL)."""

    llamacpp = "llamacpp"  # llama-cpp-python's server on a packaged GGUF (one completion at a time)
    vllm = "vllm"  # vLLM's OpenAI server (continuous batching, prefix caching; CPU or GPU build)


class HttpBackend(StrEnum):
    aiohttp = "aiohttp"  # the SDK's aiohttp transport (less CPU per request)
    httpx = "httpx"  # the SDK default


def choice(enum: type[StrEnum], value: object, field: str) -> StrEnum:
    """``value`` as a member of ``enum``; ValueError naming the field and the valid values otherwise."""
    try:
        return enum(value if not isinstance(value, StrEnum) else value.value)
    except ValueError:
        raise ValueError(f"judge {field} {value!r} unknown; use one of {[m.value for m in enum]}") from None
