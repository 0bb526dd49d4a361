"""``benchmark=all``: the suite, and the one list of benchmarks: the registry.

Every benchmark folder (``evals/benchmarks/<name>/``) registers its class with
``@component("benchmark", <name>)`` in its ``__init__.py``; the suite's members, the lm-eval tasks
(``lm_eval_task``) and the benchmark tests all come from :func:`benchmark_classes`, so adding a
benchmark is one folder + one ``conf/benchmark/<name>.yaml``.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from core.registry import component, components

SUITE = "all"


def import_benchmarks() -> None:
    """Import every module of this package, each benchmark folder's included, so each schema is in the registry."""
    import evals.benchmarks as pkg

    for mod in pkgutil.walk_packages(pkg.__path__, prefix="evals.benchmarks."):
        importlib.import_module(mod.name)


def _target(schema: type) -> str | None:
    f = {f.name: f for f in dataclasses.fields(schema)}.get("_target_")
    return None if f is None or f.default is dataclasses.MISSING else str(f.default)


def benchmark_classes() -> dict[str, type]:
    """Registered name -> benchmark class, sorted by name (the suite itself excluded)."""
    import_benchmarks()
    out = {}
    for (_, name), schema in sorted(components("benchmark").items()):
        target = _target(schema)
        if name == SUITE or target is None:
            continue
        mod, _, attr = target.rpartition(".")
        out[name] = getattr(importlib.import_module(mod), attr)
    return out


def members() -> list[str]:
    """The suite's default members: every registered benchmark."""
    return list(benchmark_classes())


def lm_eval_benchmarks() -> dict[str, type]:
    """The benchmarks with official metrics: one lm-eval task each."""
    return {n: c for n, c in benchmark_classes().items() if c.metrics}


@component("benchmark", SUITE)
@dataclass
class SuiteConf:
    suite: list[str] = field(default_factory=members)
    limit: int | None = None  # applied to every member
    # per member: settings over its own conf/benchmark/<name>.yaml, e.g. the real files of a preset
    # ({healthbench: {path: ...}}); a key the member's schema lacks fails when the member is composed
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
