"""The benchmarks as lm-eval tasks: each folder's task.yaml and task.py load, match their generator, and one
evaluates end to end."""

from __future__ import annotations

import importlib.util

import pytest

from evals.benchmarks.base import BENCHMARKS

GLUE = BENCHMARKS / "lm_eval_task.py"


def _fresh(path, name):
    """The file as lm-eval loads a ``!function`` module: by path, outside the package."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_task_files_are_current():
    mod = _fresh(GLUE, "focal_task_glue")
    assert len(mod.task_metrics()) >= 6
    for name in mod.task_metrics():
        assert (BENCHMARKS / name / "task.yaml").read_text() == mod.task_yaml(name), name
        assert (BENCHMARKS / name / "task.py").read_text() == mod.TASK_PY, name


def test_tasks_load_through_the_task_manager():
    from lm_eval.tasks import TaskManager

    tm = TaskManager(include_path=str(BENCHMARKS), include_defaults=False)
    from evals.benchmarks.suite import lm_eval_benchmarks

    names = {f"focal_{n}" for n in lm_eval_benchmarks()}
    assert len(names) >= 6
    assert names <= set(tm.all_tasks)
    loaded = tm.load_task_or_group(sorted(names))
    for n in names:
        task = loaded[n]
        docs = list(task.eval_docs)
        assert len(docs) >= 8
        assert isinstance(task.doc_to_text(docs[0]), str)


def test_process_results_and_aggregation_score_in_batch():
    u = _fresh(BENCHMARKS / "infobench" / "task.py", "task")  # the folder's name picks the benchmark
    ds = u.load()["test"]
    items = [u.process(doc, ["answer"])["drfr"] for doc in ds]
    v = u.agg_drfr(items)
    assert 0.0 <= v <= 1.0
    assert u.agg_severe_deficiency_rate(items) == 1.0


def test_a_hook_the_task_lacks_is_an_attribute_error_naming_it():
    u = _fresh(BENCHMARKS / "infobench" / "task.py", "task")
    with pytest.raises(AttributeError, match="has no hook 'agg_win_rate'"):
        u.agg_win_rate  # noqa: B018 - another benchmark's metric
    from evals.benchmarks.lm_eval_task import hook

    with pytest.raises(AttributeError, match="'toy_heldout' is not an lm-eval task"):
        hook("toy_heldout", "load")


@pytest.mark.slow
def test_simple_evaluate_end_to_end(tiny_model):
    import lm_eval
    from lm_eval.tasks import TaskManager

    tm = TaskManager(include_path=str(BENCHMARKS), include_defaults=False)
    out = lm_eval.simple_evaluate(
        model="hf", model_args=f"pretrained={tiny_model},device=cpu", tasks=["focal_infobench"], limit=3,
        task_manager=tm, apply_chat_template=True, gen_kwargs="max_gen_toks=8", bootstrap_iters=0,
    )
    res = out["results"]["focal_infobench"]
    assert 0.0 <= res["drfr,none"] <= 1.0
    assert res["severe_deficiency_rate,none"] >= 0.0
