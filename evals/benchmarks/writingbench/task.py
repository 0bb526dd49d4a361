"""The hooks of this folder's lm-eval task (task.yaml's ``!function task.<hook>``): evals.benchmarks.lm_eval_task."""

from pathlib import Path

from evals.benchmarks.lm_eval_task import hook


def __getattr__(attr: str):
    return hook(Path(__file__).resolve().parent.name, attr)
