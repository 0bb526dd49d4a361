"""The component registry: each pluggable component declares its config schema next to its code.

``@component(group, name)`` records the dataclass; orchestration (``harness.schema.register``)
imports the component packages and stores every schema in Hydra's ConfigStore. The registry
itself imports nothing, so the layers below orchestration can use it.
"""

from __future__ import annotations

from collections.abc import Callable

_components: dict[tuple[str, str], type] = {}


def component(group: str, name: str) -> Callable[[type], type]:
    """Register a component's dataclass schema as ``schema/<group>/<name>``."""

    def deco(cls: type) -> type:
        _components[(group, name)] = cls
        return cls

    return deco


def components(group: str | None = None) -> dict[tuple[str, str], type]:
    """Registered schemas (of one group, or all), as a copy."""
    return {k: v for k, v in _components.items() if group is None or k[0] == group}


def schema_of(group: str, name: str) -> type | None:
    return _components.get((group, name))
