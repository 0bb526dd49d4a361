"""The verdict cache key covers everything that changes a verdict: each field changed alone misses
the cache (a request reaches the server), the same settings again hit it (no request), and an
entry written under the old, unversioned key is never read as a hit."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from evals.judges import prompts
from evals.judges.cache import KEY_SCHEMA, JudgeCache
from evals.judges.protocols.rubric import RubricProtocol

from .test_openai_judge import expected

# (what changes, the first judge's settings, the second's): everything else as make_judge's defaults
FIELDS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("model", {}, {"model": "another-judge"}),
    ("temperature", {}, {"temperature": 0.7}),
    ("max_tokens", {}, {"max_tokens": 77}),
    ("json_mode object->off", {}, {"json_mode": "off"}),
    ("json_mode object->schema", {}, {"json_mode": "json_schema"}),
    (
        "dialect (the schema's spelling)",
        {"json_mode": "json_schema"},
        {"json_mode": "json_schema", "dialect": "llamacpp"},
    ),
    ("thinking", {}, {"extra_body": {"chat_template_kwargs": {"enable_thinking": True}}}),
    (
        "thinking on->off",
        {"extra_body": {"chat_template_kwargs": {"enable_thinking": True}}},
        {"extra_body": {"chat_template_kwargs": {"enable_thinking": False}}},
    ),
    ("mode", {}, {"mode": "per_item"}),
    ("logprob_min_mass", {"mode": "logprob"}, {"mode": "logprob", "logprob_min_mass": 0.3}),
]


def _hit_then_miss(make_judge, server, requests_, first: dict, second: dict) -> tuple[int, int]:
    """(requests the same settings again made, requests the changed settings made)."""
    make_judge(**first).judge(requests_[:1])
    n = server.requests
    assert n > 0
    make_judge(**first).judge(requests_[:1])
    same = server.requests - n
    make_judge(**second).judge(requests_[:1])
    return same, server.requests - n - same


@pytest.mark.parametrize(("field", "first", "second"), FIELDS, ids=[f[0] for f in FIELDS])
def test_changing_a_field_misses_the_cache(make_judge, server, requests_, field, first, second):
    same, changed = _hit_then_miss(make_judge, server, requests_, first, second)
    assert same == 0, f"{field}: the same settings must be answered from the cache"
    assert changed > 0, f"{field}: a change must miss the cache"


def test_the_served_model_is_in_the_key(make_judge, server, requests_):
    """A server that serves another model under the same request (llama.cpp serves whatever it loaded)."""
    make_judge().judge(requests_[:1])
    make_judge().judge(requests_[:1])
    assert server.requests == 1
    server.served_model = "a-different-model.gguf"
    make_judge().judge(requests_[:1])
    assert server.requests == 2


def test_a_call_made_while_the_served_model_is_unknown_neither_reads_nor_writes_the_cache(
    make_judge, server, requests_
):
    """``GET /models`` unanswered (a loaded server): the key would be a guess (the configured name, not
    what the server serves) that a later run, whose probe answers, would not make. Such a call skips
    the cache, counted; the next call asks the server again, and what it gets is cached as usual."""
    server.served_model = "served.gguf"  # not the configured name: the two keys would differ
    server.models_status = 503
    judge = make_judge()
    first = judge.judge(requests_[:1])
    assert judge.counters["cache_skipped"] == 1 and server.requests == 1
    assert all(s is not None for s in first[0].scores)  # the verdict itself is the server's
    server.models_status = 200
    judge.judge(requests_[:1])  # the probe is asked again (its failure was not remembered): nothing cached yet
    assert judge.counters["cache_skipped"] == 1 and server.requests == 2
    again = make_judge()
    again.judge(requests_[:1])  # keyed by the served model now: a hit
    assert server.requests == 2 and again.counters["cache_hits"] == 1


def test_the_url_is_not_in_the_key(make_judge, server, requests_, rubric):
    """A managed server gets a new port every run: the same model on another port still hits."""
    from tests.support.testserver import JudgeTestServer

    make_judge().judge(requests_[:1])
    with JudgeTestServer().register(rubric) as other:
        out = make_judge(base_url=other.url).judge(requests_[:1])
        assert other.requests == 0 and out[0].cached


def test_the_prompt_template_is_in_the_key(make_judge, server, requests_, monkeypatch):
    make_judge().judge(requests_[:1])
    monkeypatch.setattr(RubricProtocol, "version", prompts.RUBRIC_VERSION + "-next")  # a version bump
    make_judge().judge(requests_[:1])
    assert server.requests == 2
    monkeypatch.undo()
    real = prompts.rubric_messages  # a template edit someone forgot to version: the messages differ

    def edited(*a: Any, **kw: Any) -> list[dict[str, str]]:
        msgs = real(*a, **kw)
        return [{**msgs[0], "content": msgs[0]["content"] + "\nBe strict."}, *msgs[1:]]

    monkeypatch.setattr(prompts, "rubric_messages", edited)
    make_judge().judge(requests_[:1])
    assert server.requests == 3


def test_the_reply_schema_is_in_the_key(make_judge, server, requests_, monkeypatch):
    import evals.judges.openai_judge as oj

    make_judge(json_mode="json_schema").judge(requests_[:1])
    real = oj.response_format

    def tighter(*a: Any, **kw: Any) -> Any:
        fmt = real(*a, **kw)
        fmt["json_schema"]["schema"] = {**fmt["json_schema"]["schema"], "description": "v2"}
        return fmt

    monkeypatch.setattr(oj, "response_format", tighter)
    make_judge(json_mode="json_schema").judge(requests_[:1])
    assert server.requests == 2


def _v1_key(
    model: str, mode: str, version: str, question: str, rubric_json: str, responses: list[str]
) -> str:
    """The key as the cache computed it before key schemas (no version, no settings)."""
    payload = json.dumps(
        [model, mode, version, question, rubric_json, responses], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def test_an_old_format_entry_is_never_read(make_judge, server, requests_, tmp_path):
    r = requests_[0]
    old = _v1_key(
        "loopback-judge", "rubric", prompts.RUBRIC_VERSION, r.question, r.rubric.to_json(), [r.response]
    )
    wrong = [
        not s if isinstance(s, bool) else 10 - s for s in expected(r)
    ]  # a verdict the server would not give
    JudgeCache(tmp_path / "judge_cache.sqlite").put(old, {"scores": wrong, "rationale": "written by v1"})
    (out,) = make_judge().judge([r])
    assert server.requests == 1 and not out.cached
    assert out.scores == expected(r) != wrong
    assert KEY_SCHEMA != "judge-key-v1"


def test_a_failure_is_not_cached(make_judge, server, requests_, tmp_path):
    server.inject("malformed", "malformed", "malformed", "malformed")  # max_retries=3: 4 attempts, all bad
    (bad,) = make_judge().judge(requests_[:1])
    assert bad.unscorable == len(bad.scores) and len(JudgeCache(tmp_path / "judge_cache.sqlite")) == 0
    (good,) = make_judge().judge(requests_[:1])
    assert good.scores == expected(requests_[0]) and not good.cached
