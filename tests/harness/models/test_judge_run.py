"""The judge around a run: a managed llama.cpp server started, probed and stopped; a dead or
garbling judge stops the run in one line before anything is written."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from omegaconf import open_dict

from core.config import REPO_ROOT
from harness.compose import compose_sweep
from harness.models.judge_run import MANAGED_URL_ENV, JudgeUnavailable, judge_for_run, start_for_sweep
from tests.support.testserver import JudgeTestServer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _servers(parent: int) -> list[int]:
    """Live llama.cpp server processes whose parent is ``parent``."""
    out = []
    for d in Path("/proc").iterdir():
        try:
            if not d.name.isdigit():
                continue
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == parent and stat[0] != "Z" and b"llama_cpp.server" in (d / "cmdline").read_bytes():
                out.append(int(d.name))
        except OSError:
            continue
    return out


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_user_url_is_used_as_is_and_not_served(monkeypatch):
    monkeypatch.delenv("LOCAL_JUDGE_URL", raising=False)
    with JudgeTestServer() as srv:
        cfg, _ = compose_sweep(["judge=local", f"judge.base_url={srv.url}"])
        with judge_for_run(cfg):
            assert cfg.judge.base_url == srv.url and MANAGED_URL_ENV not in os.environ
        assert srv.requests == 1  # the probe
    assert _servers(os.getpid()) == []


def test_a_job_of_a_multirun_uses_the_sweeps_server(monkeypatch):
    """The URL the sweep's managed server exported reaches the job's config; nothing is started."""
    monkeypatch.delenv("LOCAL_JUDGE_URL", raising=False)
    with JudgeTestServer() as srv:
        monkeypatch.setenv(MANAGED_URL_ENV, srv.url)
        cfg, _ = compose_sweep(["judge=local"])
        with judge_for_run(cfg):
            assert cfg.judge.base_url == srv.url
        assert srv.requests == 1
    assert _servers(os.getpid()) == []


def test_the_llm_judge_inside_judge_mixed_is_the_one_served_and_probed(monkeypatch):
    """judge=mixed: its LLM judge (judge.llm, judge=local's) gets the sweep's server and the probe;
    the instantiated judge routes to it."""
    from hydra.utils import instantiate

    from evals.judges.mixed import MixedJudge
    from harness.models.judge_run import managed_model

    monkeypatch.delenv("LOCAL_JUDGE_URL", raising=False)
    cfg, _ = compose_sweep(["judge=mixed"])
    assert managed_model(cfg.judge) == "smollm2_135m" and cfg.judge.llm.base_url is None
    with JudgeTestServer() as srv:
        monkeypatch.setenv(MANAGED_URL_ENV, srv.url)
        with judge_for_run(cfg):
            assert cfg.judge.llm.base_url == srv.url
            judge = instantiate(cfg.judge)
            try:
                assert isinstance(judge, MixedJudge) and judge.llm.base_url == srv.url
            finally:
                judge.close()
        assert srv.requests == 1  # the probe, sent to the LLM judge
    assert _servers(os.getpid()) == []


def test_a_slurm_sweep_leaves_the_managed_server_to_its_jobs(monkeypatch):
    monkeypatch.delenv("LOCAL_JUDGE_URL", raising=False)
    cfg, _ = compose_sweep(["judge=local"])
    with open_dict(cfg):
        cfg.hydra = {"launcher": {"_target_": "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"}}
    with start_for_sweep(cfg):
        assert _servers(os.getpid()) == [] and MANAGED_URL_ENV not in os.environ


def test_the_sweep_callback_stops_a_dead_judge_in_one_line(tmp_path):
    from harness.launch.callbacks import SweepSummary

    url = f"http://127.0.0.1:{_closed_port()}/v1"
    cfg, _ = compose_sweep(["judge=openai", f"judge.base_url={url}", "judge.require_api_key=false",
                            "judge.timeout=5", f"run.root={tmp_path}"])
    with pytest.raises(SystemExit) as e:
        SweepSummary(progress_every_s=0, report=False).on_multirun_start(cfg)
    assert str(e.value).startswith("error: judge probe failed: " + url) and "\n" not in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_garbling_server_fails_the_sweep_before_any_job(monkeypatch):
    with JudgeTestServer() as srv:
        srv.inject("malformed", "malformed")
        cfg, _ = compose_sweep(["judge=openai", f"judge.base_url={srv.url}", "judge.require_api_key=false"])
        with pytest.raises(JudgeUnavailable) as e:
            start_for_sweep(cfg)
    msg = str(e.value)
    assert "\n" not in msg and srv.url in msg and repr(str(cfg.judge.model)) in msg and "InvalidReply" in msg


@pytest.mark.parametrize("entry", ["harness.sweep", "harness.evaluate"])
def test_unreachable_url_fails_the_run_in_one_line_with_nothing_written(entry, tmp_path):
    """The real entry points, on a closed port: non-zero, one error line, no policy, cell, eval or W&B folder."""
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    env = {**os.environ, "OPENAI_API_KEY": "sk-secret-never-shown", "PYTHONPATH": str(REPO_ROOT)}
    p = subprocess.run(
        [sys.executable, "-m", entry, "judge=openai", f"judge.base_url={url}", "judge.timeout=5",
         f"run.root={tmp_path}", f"hydra.run.dir={tmp_path / 'hydra'}"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert p.returncode != 0, p.stderr[-2000:]
    errors = [ln for ln in p.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and url in errors[0] and "judge probe failed" in errors[0]
    assert "sk-secret" not in p.stdout + p.stderr
    written = {q.name for q in tmp_path.rglob("*")}
    assert not written & {"policies", "cells", "evals", "wandb"}, sorted(written)


@pytest.mark.slow
def test_managed_local_judge_is_served_probed_and_stopped(monkeypatch):
    monkeypatch.delenv("LOCAL_JUDGE_URL", raising=False)
    monkeypatch.delenv(MANAGED_URL_ENV, raising=False)
    cfg, _ = compose_sweep(["judge=local"])
    assert cfg.judge.base_url is None and cfg.judge.managed
    with judge_for_run(cfg):  # starts, waits until it answers, probes (one real rubric request)
        (pid,) = _servers(os.getpid())
        assert cfg.judge.base_url.startswith("http://127.0.0.1:") and os.environ[MANAGED_URL_ENV] == cfg.judge.base_url
    assert not _alive(pid) and MANAGED_URL_ENV not in os.environ


SIGTERM_RUN = """
import sys, time
from harness.compose import compose_sweep
from harness.models.judge_run import judge_for_run
cfg, _ = compose_sweep(["judge=local"])
with judge_for_run(cfg):
    print("up", flush=True)
    time.sleep(600)
"""


@pytest.mark.slow
def test_sigterm_leaves_no_server_behind(monkeypatch):
    monkeypatch.delenv("LOCAL_JUDGE_URL", raising=False)
    monkeypatch.delenv(MANAGED_URL_ENV, raising=False)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.Popen([sys.executable, "-c", SIGTERM_RUN], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                           text=True)
    try:
        assert run.stdout is not None and run.stdout.readline().strip() == "up"
        (pid,) = _servers(run.pid)
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid)
    finally:
        if run.poll() is None:
            run.kill()
