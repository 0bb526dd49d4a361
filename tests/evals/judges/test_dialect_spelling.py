"""The OpenAI/vLLM spelling of ``response_format`` checked against the ``openai`` SDK's own request
types and OpenAI's documented strict-mode rules (every object closes its properties and requires
all of them; the name is ``[a-zA-Z0-9_-]{1,64}``). No OpenAI or vLLM server is reachable here: this
checks what the judge sends, not what a server answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openai.types.shared_params import ResponseFormatJSONObject, ResponseFormatJSONSchema
from pydantic import TypeAdapter

from evals.judges.options import Dialect, JsonMode
from evals.judges.replies import PerItemReply, pairwise_model, prior_model, response_format, rubric_model

KINDS = ("hard_rule", "principle", "hard_rule")
MODELS = [rubric_model(KINDS), pairwise_model(KINDS), prior_model(3), PerItemReply]


def _objects(node: Any):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for v in node.values():
            yield from _objects(v)
    elif isinstance(node, list):
        for v in node:
            yield from _objects(v)


@pytest.mark.parametrize("dialect", [Dialect.openai, Dialect.vllm])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_openai_spelling_is_a_valid_sdk_request_in_strict_form(dialect, model):
    fmt = response_format(JsonMode.json_schema, dialect, model)
    TypeAdapter(ResponseFormatJSONSchema).validate_python(fmt, strict=True)
    js = fmt["json_schema"]
    assert set(js) <= {"name", "description", "schema", "strict"} and js["strict"] is True
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", js["name"])
    objs = list(_objects(js["schema"]))
    assert objs, "the schema has no object"
    for o in objs:
        assert o.get("additionalProperties") is False
        assert set(o.get("required", [])) == set(o.get("properties", {}))


def test_llamacpp_spelling_is_json_object_with_schema_and_json_object_mode_is_plain():
    fmt = response_format(JsonMode.json_schema, Dialect.llamacpp, rubric_model(KINDS))
    assert fmt["type"] == "json_object" and fmt["schema"]["type"] == "object"
    plain = response_format(JsonMode.json_object, Dialect.openai, rubric_model(KINDS))
    TypeAdapter(ResponseFormatJSONObject).validate_python(plain, strict=True)
    assert response_format(JsonMode.off, Dialect.openai, rubric_model(KINDS)) is None
