"""lm-eval glue: every benchmark with official metrics as an lm-eval ``generate_until`` task.

    lm_eval --model hf --model_args pretrained=<model>,device=cpu --apply_chat_template \
        --include_path evals/benchmarks --tasks focal_healthbench        (or the group: focal)

Each benchmark folder holds its task, ``task.yaml``, and ``task.py``, the file lm-eval reads the YAML's
``!function task.<hook>`` from (lm-eval looks for it beside the YAML); every ``task.py`` is the same
three lines that hand the hooks over to this module (:func:`hook`), keyed by the folder's name.
``python -m evals.benchmarks.lm_eval_task`` writes both files of every benchmark with official metrics
(``tests/evals/benchmarks/test_lm_eval_tasks.py`` fails when one is not current).

Each task's ``custom_dataset`` loads the benchmark through its own loader (the bundled fixture by
default; real data via ``--metadata '{"path": "/path/to/data.jsonl"}'`` or ``'{"hub_id": ...}'``, any
field of ``conf/benchmark/<name>.yaml``). ``process_results`` only pairs each document with its
response; the metrics are custom aggregations that score all responses of the task in one batch
through the benchmark's ``score`` (the same code path as ``harness.evaluate``: the judge sees the
answer only, a response cut in its reasoning is scored by the cut rule), with the offline rules judge
by default. Python users can plug any judge with ``set_judge(judge)`` (e.g. an ``OpenAIJudge`` for
the real data).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from core.reasoning import split_completion
from core.rubric import Example

_JUDGE: Any = None
POLARIZATION = ["worst_dimension", "spread", "severe_deficiency_rate"]
# every benchmark folder's task.py: lm-eval reads the task's hooks from that file, beside task.yaml
TASK_PY = '''"""The hooks of this folder's lm-eval task (task.yaml's ``!function task.<hook>``): evals.benchmarks.lm_eval_task."""

from pathlib import Path

from evals.benchmarks.lm_eval_task import hook


def __getattr__(attr: str):
    return hook(Path(__file__).resolve().parent.name, attr)
'''


@cache
def task_metrics() -> dict[str, list[str]]:
    """One task per registered benchmark with official metrics (``Benchmark.metrics``): name -> metrics.

    Looked up on first use, never at import: the registry's discovery imports this module too.
    """
    from evals.benchmarks.suite import lm_eval_benchmarks

    return {name: list(cls.metrics) for name, cls in lm_eval_benchmarks().items()}


def polarization_metrics(name: str) -> list[str]:
    """AlpacaEval has no dimensions, so only the severe-deficiency rate."""
    return ["severe_deficiency_rate"] if name == "alpaca_eval" else list(POLARIZATION)


def set_judge(judge: Any) -> None:
    """Score lm-eval tasks with this judge instead of the offline rules judge."""
    global _JUDGE
    _JUDGE = judge
    _score.cache_clear()


def _judge() -> Any:
    if _JUDGE is None:
        from evals.judges.rules import RulesJudge

        return RulesJudge()
    return _JUDGE


def benchmark(name: str, **overrides: Any):
    from hydra.utils import instantiate

    from evals.evaluation import member_config

    cfg = member_config(name)
    for k, v in overrides.items():  # lm-eval also passes unrelated metadata (version, model args): skip it
        if k in cfg and k != "_target_" and v is not None:
            cfg[k] = v
    return instantiate(cfg)


def doc_text(e: Example) -> str:
    """The prompt lm-eval sends: the single user turn, or a transcript of a multi-turn conversation."""
    msgs = e.messages
    if len(msgs) == 1:
        return msgs[0]["content"]
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in msgs)


def _dataset(name: str, **kwargs: Any):
    import datasets

    items = benchmark(name, **kwargs).load()
    rows = [{"id": e.id, "text": doc_text(e), "example": e.model_dump_json()} for e in items]
    return {"test": datasets.Dataset.from_list(rows)}


def _loader(name: str):
    def load(**kw: Any):
        return _dataset(name, **kw)

    load.__name__ = f"load_{name}"
    return load


def _process(name: str):
    def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
        item = (doc["example"], results[0])
        return {m: item for m in task_metrics()[name] + polarization_metrics(name)}

    process_results.__name__ = f"process_{name}"
    return process_results


@cache
def _score(name: str, items: tuple[tuple[str, str], ...]) -> dict[str, float]:
    bench = benchmark(name)
    examples = [Example.model_validate_json(x) for x, _ in items]
    res = bench.score(examples, [split_completion(r).answer for _, r in items], _judge())  # as evals.evaluation
    return {**res.metrics, **res.polarization}


def _aggregation(name: str, metric: str):
    def agg(items: list[tuple[str, str]]) -> float:
        return float(_score(name, tuple((x, r) for x, r in items)).get(metric, float("nan")))

    agg.__name__ = f"agg_{name}_{metric}"
    return agg


def hook(name: str, attr: str) -> Callable[..., Any]:
    """The hook ``attr`` of benchmark ``name``'s task: ``load``, ``process`` or ``agg_<metric>``."""
    if attr.startswith("__"):  # a module attribute Python itself asks for, not a hook
        raise AttributeError(attr)
    if name not in task_metrics():
        raise AttributeError(f"{name!r} is not an lm-eval task; tasks: {sorted(task_metrics())}")
    if attr == "load":
        return _loader(name)
    if attr == "process":
        return _process(name)
    metric = attr.removeprefix("agg_")
    if attr.startswith("agg_") and metric in task_metrics()[name] + polarization_metrics(name):
        return _aggregation(name, metric)
    raise AttributeError(f"the lm-eval task of {name!r} has no hook {attr!r}")


def task_yaml(name: str) -> str:
    """The task YAML for one benchmark (how the shipped files were written; a test checks they match)."""
    lines = [
        f"# {name} as an lm-eval task (written by python -m evals.benchmarks.lm_eval_task; hooks in task.py)",
        f"task: focal_{name}",
        "tag: [focal]",
        "custom_dataset: !function task.load",
        "output_type: generate_until",
        "test_split: test",
        "num_fewshot: 0",
        "doc_to_text: text",
        "doc_to_target: id",
        "generation_kwargs:",
        "  until: []",
        "  do_sample: false",
        "  max_gen_toks: 512",
        "process_results: !function task.process",
        "metric_list:",
    ]
    for m in task_metrics()[name] + polarization_metrics(name):
        lower = m in ("spread", "severe_deficiency_rate") or m.endswith("bootstrap_std")
        lines += [f"  - metric: {m}", f"    aggregation: !function task.agg_{m}",
                  f"    higher_is_better: {'false' if lower else 'true'}"]
    lines += ["metadata:", "  version: 1.0", ""]
    return "\n".join(lines)


def write_tasks() -> list[str]:
    """Write ``task.yaml`` and ``task.py`` into the folder of every benchmark with official metrics."""
    here = Path(__file__).resolve().parent
    for n in task_metrics():
        (here / n / "task.yaml").write_text(task_yaml(n))
        (here / n / "task.py").write_text(TASK_PY)
    return sorted(task_metrics())


if __name__ == "__main__":
    print(json.dumps(write_tasks()))
