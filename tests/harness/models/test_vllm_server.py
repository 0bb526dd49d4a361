"""The vLLM judge server, for real: vLLM's OpenAI server (the CPU build here) serving the packaged
SmolLM2, managed by the run (served, probed, stopped), answering the judge's structured requests in
every JSON mode the judge uses; and the failures before it answers (port busy, model missing, a
server that dies), one line each, with nothing written."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import REPO_ROOT
from core.rubric import Criterion, Rubric
from evals.judges.base import JudgeRequest
from evals.judges.openai_judge import OpenAIJudge
from harness.compose import compose_sweep
from harness.models.judge_run import MANAGED_URL_ENV, JudgeUnavailable, judge_for_run
from harness.models.vllm_env import VllmUnavailable, vllm_python
from harness.models.vllm_server import ServerError, vllm_judge_server

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


@pytest.fixture(scope="module", autouse=True)
def _needs_vllm():
    try:
        vllm_python()
    except VllmUnavailable as e:
        (pytest.fail if os.environ.get("FOCAL_REQUIRE_VLLM") == "1" else pytest.skip)(str(e))


def _vllm_servers() -> list[int]:
    """Live processes of vLLM's API server (any parent)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state != "Z" and b"vllm.entrypoints.openai.api_server" in (d / "cmdline").read_bytes():
                out.append(int(d.name))
        except OSError:
            continue
    return out


RUBRIC = Rubric(criteria=(
    Criterion(text="Mentions Paris", kind="hard_rule"),
    Criterion(text="Is one sentence long", kind="hard_rule"),
    Criterion(text="Is friendly in tone", kind="principle"),
))


@pytest.fixture(scope="module")
def managed(tiny_cache):
    """``judge=vllm`` with no URL, as a run starts it: served, probed, then stopped at the end."""
    os.environ.pop("VLLM_JUDGE_URL", None)
    os.environ.pop(MANAGED_URL_ENV, None)
    before = set(_vllm_servers())
    cfg, _ = compose_sweep(["judge=vllm", "judge.model=smollm2_135m", "judge.concurrency=8",
                            f"cache_dir={tiny_cache}"])
    assert cfg.judge.base_url is None and cfg.judge.managed and cfg.judge.server == "vllm"
    with judge_for_run(cfg):  # starts the server, waits until it answers, probes it
        assert set(_vllm_servers()) - before
        yield cfg
    assert set(_vllm_servers()) - before == set(), "the server outlived its run"
    assert MANAGED_URL_ENV not in os.environ


def _judge(cfg, **kw) -> OpenAIJudge:
    node = {k: v for k, v in cfg.judge.items() if k not in ("_target_", "managed", "server", "cache_path")}
    return OpenAIJudge(**{**node, "cache": False, **kw})


@pytest.mark.parametrize("mode", ["rubric", "pairwise"])
def test_the_managed_server_answers_the_judge_in_shape(managed, mode):
    """Guided decoding (json_schema, the vLLM judge's default) gives replies the strict validation
    accepts: every criterion scored, the right types, in rubric and pairwise mode (the paper's)."""
    judge = _judge(managed, mode=mode)
    try:
        asked = [JudgeRequest("What is the capital of France?", RUBRIC, r)
                 for r in ("The capital of France is Paris.", "I like turtles and also trains, a lot.")]
        out = judge.judge(asked)
    finally:
        judge.close()
    assert len(out) == 2
    for j in out:
        assert not j.unscorable, j.rationale
        assert [type(s) for s in j.scores] == [bool, bool, int] and 0 <= j.scores[2] <= 10


def test_concurrent_requests_are_batched_not_refused(managed):
    """Eight requests at once all come back valid (continuous batching; concurrency from the config)."""
    judge = _judge(managed, mode="rubric")
    try:
        asked = [JudgeRequest(f"Name a city in country number {i}.", RUBRIC, f"City number {i} is Paris.")
                 for i in range(8)]
        out = judge.judge(asked)
    finally:
        judge.close()
    assert sum(not j.unscorable for j in out) == 8


def _busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


def test_a_busy_port_fails_in_one_line_before_starting():
    with _busy_port() as s:
        port = s.getsockname()[1]
        with pytest.raises(ServerError) as e, vllm_judge_server("smollm2_135m", port=port):
            pass
    assert f"port {port}" in str(e.value) and "busy" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("model", ["/nonexistent/model-folder", "no-such-model"])
def test_a_missing_model_fails_in_one_line(model):
    with pytest.raises(ServerError) as e, vllm_judge_server(model):
        pass
    assert "no model" in str(e.value) and "\n" not in str(e.value)


def test_a_server_that_dies_during_start_up_fails_in_one_line(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "no_such_architecture"}))
    before = set(_vllm_servers())
    with pytest.raises(ServerError) as e, vllm_judge_server(str(folder), startup_timeout=300):
        pass
    msg = str(e.value)
    assert "exited with" in msg and "during start-up" in msg and "\n" not in msg
    assert set(_vllm_servers()) - before == set()


def test_a_run_whose_vllm_judge_cannot_start_writes_nothing(tmp_path):
    """Through the entry point: one line naming the server, a non-zero exit, no run folder."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("VLLM_JUDGE_URL", None)
    env.pop(MANAGED_URL_ENV, None)  # the module's managed server is up: this run must start its own
    p = subprocess.run(
        [sys.executable, "-m", "harness.sweep", "experiment=smoke", "judge=vllm", "judge.model=/nonexistent/judge",
         f"run.root={tmp_path / 'runs'}", "tracking=none"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode != 0
    lines = [ln for ln in p.stderr.splitlines() if "vLLM judge server" in ln]
    assert len(lines) == 1 and "no model folder" in lines[0], p.stderr[-2000:]
    written = {q.name for q in (tmp_path / "runs").rglob("*")} if (tmp_path / "runs").exists() else set()
    assert not written & {"policies", "cells", "evals", "wandb"}, sorted(written)


def test_without_vllm_the_managed_judge_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("FOCAL_VLLM_PYTHON", str(tmp_path / "no-python"))
    monkeypatch.delenv(MANAGED_URL_ENV, raising=False)
    cfg, _ = compose_sweep(["judge=vllm", "judge.model=smollm2_135m"])
    with pytest.raises(JudgeUnavailable, match="FOCAL_VLLM_PYTHON"), judge_for_run(cfg):
        pass
