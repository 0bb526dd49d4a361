"""A real local judge server: llama.cpp's OpenAI-compatible server on a packaged GGUF model.

    python -m harness.models.judge_server --model smollm2_135m --port 0

starts ``python -m llama_cpp.server`` (llama-cpp-python, the ``smol`` extra) on loopback,
prints its base URL (``http://127.0.0.1:PORT/v1``) once it answers, and stops it cleanly
on SIGINT/SIGTERM. ``judge=local`` points the ``openai`` judge at it (dialect
``llamacpp``, ``json_mode: json_schema``). Tests and benchmarks use the context manager::

    with local_judge_server("smollm2_135m") as url:
        OpenAIJudge(base_url=url, ...)

Why llama.cpp's server: it serves the packaged GGUF file directly, and it supports both
things a small judge needs (measured, see the README): a JSON Schema in
``response_format`` (constrained decoding: the reply has the rubric's exact shape) and
``logprobs``/``top_logprobs``. ``transformers serve`` answered the same prompts with prose
whatever ``response_format`` said and does not load a GGUF file.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from harness.models.resolve import PACKAGED, MissingExtraError, packaged_gguf

N_CTX = 8192  # SmolLM2's trained context: real rubrics (HealthBench 2.2k tokens, WritingBench 4.7k, measured) + a reply
N_THREADS = min(2, os.cpu_count() or 1)  # see the README's table: 2 threads on 2 cores
_LISTENING = re.compile(r"Uvicorn running on (http://[^\s]+)")


def die_with_parent() -> None:  # pragma: no cover (runs in the child between fork and exec)
    """Linux: the server gets SIGTERM if this process dies without stopping it."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _model_file(model: str) -> Path:
    if model in PACKAGED:
        path = packaged_gguf(model)
    else:
        path = Path(model)
        if not path.is_file():
            raise FileNotFoundError(f"judge server: no model {model!r} (a packaged name {sorted(PACKAGED)} or a GGUF file)")
    try:
        import llama_cpp.server  # noqa: F401
    except ImportError:
        raise MissingExtraError(
            "the local judge server needs llama-cpp-python's server, from the 'smol' extra: "
            "CMAKE_ARGS='-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF' pip install -e '.[smol]'"
        ) from None
    return path


def server_command(model_file: Path, port: int, n_ctx: int, n_threads: int, alias: str) -> list[str]:
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_file), "--model_alias", alias,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_threads", str(n_threads), "--n_threads_batch", str(n_threads),
        "--verbose", "False",
    ]  # fmt: skip


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/models", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


@contextmanager
def local_judge_server(
    model: str = "smollm2_135m",
    port: int = 0,
    n_ctx: int = N_CTX,
    n_threads: int = N_THREADS,
    startup_timeout: float = 180.0,
) -> Iterator[str]:
    """Start the server, yield its base URL (``.../v1``) once it answers, stop it on exit."""
    path = _model_file(model)
    cmd = server_command(path, port, n_ctx, n_threads, alias=model)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent
    )
    found: list[str] = []
    tail: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            tail.append(line.rstrip())
            del tail[:-20]
            m = _LISTENING.search(line)
            if m and not found:
                found.append(m.group(1).rstrip("/"))

    reader = threading.Thread(target=read, name="judge-server-log", daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"judge server exited with {proc.returncode}: " + " | ".join(tail[-5:]))
            if found and _ready(found[0] + "/v1"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"judge server did not answer within {startup_timeout:.0f} s")
            time.sleep(0.1)
        yield found[0] + "/v1"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        reader.join(timeout=5)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="serve a packaged GGUF model as a local OpenAI-compatible judge")
    ap.add_argument("--model", default="smollm2_135m", help=f"packaged name {sorted(PACKAGED)} or a GGUF path")
    ap.add_argument("--port", type=int, default=0, help="0: a free port chosen by the OS")
    ap.add_argument("--n_ctx", type=int, default=N_CTX)
    ap.add_argument("--n_threads", type=int, default=N_THREADS)
    args = ap.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        with local_judge_server(args.model, args.port, args.n_ctx, args.n_threads) as url:
            print(url, flush=True)
            stop.wait()
    except (MissingExtraError, FileNotFoundError, RuntimeError, TimeoutError) as e:
        print(f"judge server: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
