"""The vLLM judge as its own SLURM job: submitted by a SLURM sweep before its training jobs.

A sweep with ``hydra/launcher=slurm`` and a managed vLLM judge (``judge=vllm``, no URL) submits one
job that runs ``harness.models.vllm_server`` (the same code as the managed local server and
``slurm/vllm_judge.sbatch``) on ``0.0.0.0``, waits until the job writes the server's URL, and hands
it to the training jobs through the environment that ``sbatch`` exports. The job is cancelled when
the sweep ends (or the sweep process exits). Resources: the ``judge_job`` node (GPUs, CPUs, memory,
time); partition and account are the launcher's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


class JudgeJobError(RuntimeError):
    """The judge job failed or never answered; the message is one line."""


def serve_in_job(model: str, cache_dir: str, url_file: str, max_num_seqs: int, max_model_len: int) -> int:
    """The job's body: serve until cancelled (SIGTERM stops the server and removes the URL file)."""
    from harness.models.vllm_server import main

    return main(["--model", model, "--host", "0.0.0.0", "--url-file", url_file, "--cache-dir", cache_dir,
                 "--max-num-seqs", str(max_num_seqs), "--max-model-len", str(max_model_len)])


def _tail(path: Path, n: int = 3) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return " | ".join(lines[-n:])[-400:]


def submit(folder: Path, model: str, cache_dir: str, launcher: Mapping[str, Any], job: Mapping[str, Any],
           max_num_seqs: int) -> tuple[str, Callable[[], None]]:
    """Submit the judge job, wait for its URL; returns (url, cancel)."""
    import submitit

    folder.mkdir(parents=True, exist_ok=True)
    url_file = folder / "judge.url"
    url_file.unlink(missing_ok=True)
    ex = submitit.AutoExecutor(folder=str(folder / "%j"), cluster="slurm")
    extra = {k: launcher[k] for k in ("partition", "account", "qos", "constraint") if launcher.get(k)}
    ex.update_parameters(
        name="focal-judge", timeout_min=int(job["timeout_min"]), cpus_per_task=int(job["cpus_per_task"]),
        gpus_per_node=int(job["gpus_per_node"]), mem_gb=int(job["mem_gb"]), nodes=1, tasks_per_node=1,
        **{f"slurm_{k}": v for k, v in extra.items()},
    )
    handle = ex.submit(serve_in_job, model, cache_dir, str(url_file), max_num_seqs, int(job["max_model_len"]))
    print(f"[judge] vLLM judge job {handle.job_id} submitted ({model}); waiting for its URL", flush=True)
    deadline = time.monotonic() + 60 * float(job["startup_timeout_min"])
    while not url_file.is_file():
        state = handle.state
        if state in ("FAILED", "COMPLETED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL"):
            raise JudgeJobError(f"vLLM judge job {handle.job_id} ended ({state}) before serving: "
                                f"{_tail(Path(str(handle.paths.stderr)))}")
        if time.monotonic() > deadline:
            handle.cancel(check=False)
            raise JudgeJobError(f"vLLM judge job {handle.job_id} gave no URL within {job['startup_timeout_min']} min "
                                f"(state {state})")
        time.sleep(2.0)
    url = url_file.read_text().strip()
    print(f"[judge] vLLM judge job {handle.job_id} serving at {url}", flush=True)

    def cancel() -> None:
        handle.cancel(check=False)

    return url, cancel
