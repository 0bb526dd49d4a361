"""The benchmarks as lm-eval tasks: the YAMLs load, match their generator, and one evaluates end to end."""

from __future__ import annotations

import pytest

from core.config import REPO_ROOT

TASKS = REPO_ROOT / "evals" / "tasks"


def test_task_yamls_are_current():
    import importlib.util

    spec = importlib.util.spec_from_file_location("focal_task_utils", TASKS / "utils.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name in mod.METRICS:
        assert (TASKS / f"focal_{name}.yaml").read_text() == mod.task_yaml(name), name


def test_tasks_load_through_the_task_manager():
    from lm_eval.tasks import TaskManager

    tm = TaskManager(include_path=str(TASKS), include_defaults=False)
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
    import importlib.util

    spec = importlib.util.spec_from_file_location("focal_task_utils2", TASKS / "utils.py")
    u = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(u)
    ds = u.load_infobench()["test"]
    items = [u.process_infobench(doc, ["answer"])["drfr"] for doc in ds]
    v = u.agg_infobench_drfr(items)
    assert 0.0 <= v <= 1.0
    assert u.agg_infobench_severe_deficiency_rate(items) == 1.0


@pytest.mark.slow
def test_simple_evaluate_end_to_end(tiny_model):
    import lm_eval
    from lm_eval.tasks import TaskManager

    tm = TaskManager(include_path=str(TASKS), include_defaults=False)
    out = lm_eval.simple_evaluate(
        model="hf", model_args=f"pretrained={tiny_model},device=cpu", tasks=["focal_infobench"], limit=3,
        task_manager=tm, apply_chat_template=True, gen_kwargs="max_gen_toks=8", bootstrap_iters=0,
    )
    res = out["results"]["focal_infobench"]
    assert 0.0 <= res["drfr,none"] <= 1.0
    assert res["severe_deficiency_rate,none"] >= 0.0
