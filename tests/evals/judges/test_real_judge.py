"""The openai judge against a real model: SmolLM2-135M on llama.cpp's server (the 'smol' extra).

Slow (a server start is seconds, a constrained reply a few seconds on 2 cores). Without the
extra these tests fail with one line naming it: they are never skipped.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

import pytest

from core.config import REPO_ROOT
from core.data import load_examples
from core.rubric import Rubric
from core.scores import normalize
from evals.judges.base import JudgeRequest
from evals.judges.openai_judge import OpenAIJudge
from harness.models.judge_server import local_judge_server
from harness.models.resolve import MissingExtraError

pytestmark = pytest.mark.slow
ROOT = REPO_ROOT


@pytest.fixture(scope="module")
def real_url():
    cm = local_judge_server("smollm2_135m")
    try:
        url = cm.__enter__()
    except MissingExtraError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield url
    finally:
        cm.__exit__(None, None, None)


@pytest.fixture(scope="module")
def items() -> list[JudgeRequest]:
    ex = load_examples(ROOT / "core" / "assets" / "toy.jsonl")[:2]
    return [
        JudgeRequest(str(e.prompt), Rubric(criteria=e.rubric.criteria[:2]), r)
        for e, r in zip(ex, ["Sure the cat is calm.", "Well, a river, you see, is @ home."], strict=True)
    ]


def _judge(url: str, **kw) -> OpenAIJudge:
    return OpenAIJudge(base_url=url, model="smollm2_135m", dialect="llamacpp", max_tokens=128,
                       timeout=300.0, max_retries=0, cache=False, concurrency=1, **kw)  # fmt: skip


def test_json_schema_replies_are_all_valid(real_url, items):
    items = items[:1]  # one reply: the schema bounds it at its longest (a 135M judge's rationale fills it)
    with _judge(real_url, mode="rubric", json_mode="json_schema") as j:
        out = j.judge(items)
        assert j.counters["requests"] == len(items) and j.counters["invalid_replies"] == 0
    for o, r in zip(out, items, strict=True):
        assert o.unscorable == 0
        for s, kind in zip(o.scores, r.rubric.kinds, strict=True):
            assert type(s) is bool if kind == "hard_rule" else (type(s) is int and 0 <= s <= 10)


def test_logprob_scores_are_in_range_or_none_never_silently_zero(real_url, items):
    with _judge(real_url, mode="logprob") as j:
        out = j.judge(items)
        none = sum(o.unscorable for o in out)
        assert j.counters["requests"] == sum(len(r.rubric) for r in items)
        assert j.counters["unscorable"] == none and j.counters["invalid_replies"] == 0
    for o, r in zip(out, items, strict=True):
        v = normalize(o.scores, r.rubric.kinds)  # raises on anything out of range
        for s, note in zip(o.scores, o.rationale.splitlines(), strict=True):
            if s is None:
                assert "unscorable" in note
            else:
                assert "mass" in note and float(note.rsplit("mass ", 1)[1].rstrip(")")) >= j.logprob_min_mass
        assert all(0.0 <= x <= 1.0 for x in v[~(v != v)])


def test_the_command_prints_its_url_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.models.judge_server", "--model", "smollm2_135m", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        if not url:
            pytest.fail(proc.stderr.read().strip(), pytrace=False)  # type: ignore[union-attr]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        with urllib.request.urlopen(url + "/models", timeout=30) as r:
            assert json.load(r)["data"][0]["id"] == "smollm2_135m"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        with pytest.raises(OSError):
            urllib.request.urlopen(url + "/models", timeout=5)  # the llama.cpp server stopped too
    finally:
        if proc.poll() is None:
            proc.kill()
