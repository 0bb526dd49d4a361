"""The LLM judge around a run: serve it when the config asks, probe it before any work.

``judge.managed: true`` with no ``judge.base_url`` means: the harness serves ``judge.model`` for this
run on ``judge.server``: llama.cpp's server on a packaged GGUF (``judge=local`` without
``LOCAL_JUDGE_URL``) or vLLM's OpenAI server (``judge=vllm`` without ``VLLM_JUDGE_URL``:
``harness.models.vllm_server``, the CPU or GPU build of the machine).

* a local multirun starts ONE server in ``SweepSummary.on_multirun_start`` and hands its URL to
  the jobs (other processes: the pool's loky workers, submitit's local subprocesses) through
  ``MANAGED_URL_ENV``; it is stopped in ``on_multirun_end`` or, on error, at exit;
* a SLURM multirun with a vLLM judge submits the server as its own SLURM job
  (``harness.models.judge_job``), waits for its URL and cancels it when the sweep ends;
* a single run (``hydra.mode=RUN``), a SLURM job of a llama.cpp-judged sweep (a loopback server on
  the submit host is out of its reach) or ``harness.evaluate`` starts its own in the job.

The server dies with its parent whatever happens (``PR_SET_PDEATHSIG``); SIGTERM is turned into
``SystemExit`` while one runs so it is also stopped cleanly. A URL the user set is used as is.
Every LLM judge is then probed (``evals.judges.probe``): a dead or garbling server fails in one
line before a folder, a W&B run or a training step.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

MANAGED_URL_ENV = "FOCAL_MANAGED_JUDGE_URL"  # harness-internal: the managed server of this multirun


class JudgeUnavailable(RuntimeError):
    """The judge cannot serve this run; the message is one line."""


def server_node(judge_cfg: Any) -> Any:
    """The config node of the judge that calls a server: ``judge`` itself, or the LLM judge inside
    a judge made of judges (``judge=mixed``: ``judge.llm``); None when no judge calls one."""
    if not judge_cfg:
        return None
    if "base_url" in judge_cfg:
        return judge_cfg
    inner = judge_cfg.get("llm")
    return inner if isinstance(inner, Mapping) and "base_url" in inner else None


def managed_model(judge_cfg: Mapping[str, Any] | None) -> str | None:
    """The model to serve when the judge is managed and no URL is set, else None."""
    node = server_node(judge_cfg)
    if not node or not node.get("managed", False) or node.get("base_url") is not None:
        return None
    return str(node["model"])


def server_kind(judge_cfg: Mapping[str, Any] | None) -> str:
    """Which server a managed judge runs on: ``llamacpp`` (the default) or ``vllm``."""
    node = server_node(judge_cfg) or {}
    return str(getattr(node.get("server"), "value", node.get("server") or "llamacpp"))


def _set_url(judge_cfg: Any, url: str) -> None:
    from omegaconf import open_dict

    node = server_node(judge_cfg)
    with open_dict(node):
        node.base_url = url


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM raises SystemExit (so ``finally`` blocks stop the server) unless a handler is set."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _server(model: str, kind: str, judge_cfg: Any, cache_dir: str | None) -> Any:
    """The context manager that runs the server (not entered)."""
    if kind == "vllm":
        from harness.models.vllm_server import vllm_judge_server

        node = server_node(judge_cfg) or {}
        return vllm_judge_server(model, cache_dir or "~/.cache/focal-harness",
                                 max_num_seqs=int(node.get("concurrency", 64) or 64))
    from harness.models.judge_server import local_judge_server

    return local_judge_server(model, port=0)


@contextmanager
def _exported(url: str) -> Iterator[None]:
    """``MANAGED_URL_ENV`` set to ``url`` for the jobs this process starts, restored on exit."""
    prev = os.environ.get(MANAGED_URL_ENV)
    os.environ[MANAGED_URL_ENV] = url
    try:
        yield
    finally:
        if prev is None:
            os.environ.pop(MANAGED_URL_ENV, None)
        else:
            os.environ[MANAGED_URL_ENV] = prev


@contextmanager
def serve(model: str, kind: str = "llamacpp", judge_cfg: Any = None, cache_dir: str | None = None) -> Iterator[str]:
    """Start the managed judge server for ``model`` (llama.cpp or vLLM), export and yield its URL."""
    from harness.models.resolve import MissingExtraError
    from harness.models.vllm_env import VllmUnavailable

    with _sigterm_exits():
        try:
            cm = _server(model, kind, judge_cfg, cache_dir)
            url = cm.__enter__()
        except (MissingExtraError, FileNotFoundError, RuntimeError, TimeoutError, VllmUnavailable) as e:
            name = "vLLM judge server" if kind == "vllm" else "local judge server"
            raise JudgeUnavailable(f"{name} for {model!r} did not start: {e}") from None
        try:
            with _exported(url):
                yield url
        finally:
            cm.__exit__(None, None, None)


def probe(judge_cfg: Any, url: str | None = None) -> None:
    """Probe the configured LLM judge (at ``url`` if given; no-op for judges without a server)."""
    from hydra.utils import instantiate
    from omegaconf import DictConfig, OmegaConf

    from evals.judges.openai_judge import JudgeConfigError
    from evals.judges.probe import JudgeProbeError, probe_judge

    judge_cfg = server_node(judge_cfg)
    if judge_cfg is None:
        return
    node = OmegaConf.to_container(judge_cfg, resolve=True) if isinstance(judge_cfg, DictConfig) else dict(judge_cfg)
    if url is not None:
        node["base_url"] = url  # type: ignore[index]
    try:
        judge = instantiate(node, cache=False)
        try:
            probe_judge(judge)
        finally:
            judge.close()
    except (JudgeProbeError, JudgeConfigError) as e:
        raise JudgeUnavailable(str(e)) from None


@contextmanager
def judge_for_run(cfg: Any) -> Iterator[None]:
    """Point ``cfg.judge`` at a server (the multirun's, or one started here) and probe it."""
    jc = cfg.get("judge")
    model = managed_model(jc)
    if model is None:
        probe(jc)
        yield
        return
    inherited = os.environ.get(MANAGED_URL_ENV)
    if inherited:
        _set_url(jc, inherited)
        probe(jc)
        yield
        return
    with serve(model, server_kind(jc), jc, cfg.get("cache_dir")) as url:
        _set_url(jc, url)
        probe(jc)
        yield


@contextmanager
def _judge_job(config: Any, model: str, launcher_cfg: Any) -> Iterator[str]:
    """A SLURM sweep's vLLM judge: its own SLURM job, its URL exported to the training jobs."""
    from pathlib import Path

    from harness.models.judge_job import JudgeJobError, submit

    folder = Path(str(config.hydra.sweep.dir)) / ".submitit" / "judge"
    node = server_node(config.get("judge")) or {}
    try:
        url, cancel = submit(folder, model, str(config.get("cache_dir")), launcher_cfg, config.judge_job,
                             int(node.get("concurrency", 64) or 64))
    except JudgeJobError as e:
        raise JudgeUnavailable(str(e)) from None
    try:
        with _exported(url):  # sbatch exports the environment to every training job
            yield url
    finally:
        cancel()


def start_for_sweep(config: Any) -> ExitStack:
    """The multirun's side (before any job): serve a managed judge once for local launchers and
    probe the judge; the returned stack stops the server (closed at the sweep's end, or at exit)."""
    stack = ExitStack()
    jc = config.get("judge")
    model = managed_model(jc)
    launcher_cfg = (config.get("hydra") or {}).get("launcher", {})
    on_slurm = "slurm" in str(launcher_cfg.get("_target_", "")).lower()
    kind = server_kind(jc)
    if model is not None and on_slurm and kind != "vllm":
        return stack  # a loopback server here is out of the nodes' reach: each job serves its own
    try:
        if model is not None and on_slurm:
            url = stack.enter_context(_judge_job(config, model, launcher_cfg))
        else:
            url = stack.enter_context(serve(model, kind, jc, config.get("cache_dir"))) if model is not None else None
        probe(jc, url)
    except BaseException:
        stack.close()
        raise
    atexit.register(stack.close)
    return stack
