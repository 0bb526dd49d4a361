"""No aliases for module names that no release ever had: the regrouped modules answer only to their new names.

Nothing was published before the regrouping (CHANGELOG.md), so an old name is a mistake in new code, and
it must fail at once rather than import through a shim.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import pytest

import harness

OLD_TO_NEW = {  # the regrouping's renames (CHANGELOG.md, "Regrouped")
    "harness.store": "harness.records.store",
    "harness.simulate": "harness.tools.simulate",
    "harness.train": "harness.cell.train",
    "harness.schema": "harness.compose",
    "harness.tiny": "harness.models.tiny",
    "harness.report.keys": "harness.report.families",
    "core.completion": "core.strict_completion",
    "evals.layer": "evals.evaluation",
    "evals.arena_style": "evals.benchmarks.arena_hard.style",  # one folder per benchmark
    "evals.tasks.utils": "evals.benchmarks.lm_eval_task",
    "harness.cell.verdicts": "harness.cell.rewards",  # one home per concept on cfg's walk (issue 37)
    "core.layouts.files": "core.layouts",
    "evals.generate": "evals.evaluation",
}


@pytest.mark.parametrize(("old", "new"), sorted(OLD_TO_NEW.items()))
def test_old_names_are_gone_and_new_names_import(old, new):
    assert importlib.util.find_spec(new) is not None
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old)


def test_no_import_hook_is_installed():
    assert not hasattr(harness, "MOVED")
    assert not [f for f in sys.meta_path if type(f).__module__.startswith(("harness", "core", "evals", "methods"))]
