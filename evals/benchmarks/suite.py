"""``benchmark=all``: a named suite of benchmarks for ``python -m harness.evaluate``."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.registry import component

ALL = ["healthbench", "writingbench", "arena_hard", "alpaca_eval", "ifeval", "infobench", "toy_heldout"]


@component("benchmark", "all")
@dataclass
class SuiteConf:
    suite: list[str] = field(default_factory=lambda: list(ALL))
    limit: int | None = None  # applied to every member
