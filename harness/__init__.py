"""Orchestration: entry points (``sweep``, ``evaluate``), config composition, and the packages
that launch jobs (``launch``), run one cell (``cell``), keep records (``records``), build the
report (``report``), resolve and serve models (``models``) and the benchmark-free tools (``tools``).

Modules moved in 0.2 keep their old dotted names for one release: ``import harness.store`` and
``python -m harness.simulate`` still work and print one deprecation line (CHANGELOG.md).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

MOVED = {  # old name -> new name (0.2); removed in 0.3
    "harness.base_rates": "harness.tools.base_rates",
    "harness.callbacks": "harness.launch.callbacks",
    "harness.cpu": "harness.cell.glibc_heap",
    "harness.distributed": "harness.cell.distributed",
    "harness.judge_server": "harness.models.judge_server",
    "harness.keys": "harness.records.keys",
    "harness.method_config": "harness.compose",
    "harness.preemption": "harness.launch.preemption",
    "harness.report.keys": "harness.report.families",
    "harness.resume": "harness.cell.resume",
    "harness.rewards": "harness.cell.rewards",
    "harness.schema": "harness.compose",
    "harness.simulate": "harness.tools.simulate",
    "harness.store": "harness.records.store",
    "harness.tables": "harness.report.tables",
    "harness.timing": "harness.cell.timing",
    "harness.tiny": "harness.models.tiny",
    "harness.tracking": "harness.records.tracking",
    "harness.train": "harness.cell.train",
    "harness.wandb_report": "harness.report.wandb_report",
}


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Loads a moved module's new file under its old name (so ``python -m <old>`` runs it too)."""

    def find_spec(self, name, path=None, target=None):
        new = MOVED.get(name)
        if new is None:
            return None
        print(f"{name} is deprecated (moved to {new}); the old name goes in 0.3", file=sys.stderr)
        return importlib.util.spec_from_file_location(name, importlib.util.find_spec(new).origin)


if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
    sys.meta_path.append(MovedModuleFinder())
