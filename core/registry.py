"""The component registry: each pluggable component declares its config schema next to its code.

``@component(group, name)`` on a component's class derives the schema from the constructor's
signature (:func:`schema_from_signature`), so a default is written once, in the signature; on a
dataclass it records that dataclass as the schema (the older style, still accepted). Orchestration
(``harness.compose.register``) imports the component packages and stores every schema in Hydra's
ConfigStore as ``schema/<group>/<name>``; a YAML pulls it in with ``- /schema/<group>/<name>@_here_``
so a typo or a wrong type fails at compose time. The registry imports nothing of the project.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Optional

_components: dict[tuple[str, str], type] = {}
_PLAIN = (int, float, bool, str, bytes)


def component(group: str, name: str) -> Callable[[type], type]:
    """Register ``schema/<group>/<name>``: a dataclass as it is, any other class by its signature."""

    def deco(cls: type) -> type:
        _components[(group, name)] = cls if dataclasses.is_dataclass(cls) else schema_from_signature(cls)
        return cls

    return deco


def _config_type(t: Any) -> Any:
    """The annotation OmegaConf can type-check, else ``Any`` (objects such as ``BaseWeights``)."""
    if t in _PLAIN or (isinstance(t, type) and issubclass(t, enum.Enum)):
        return t
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            inner = _config_type(rest[0])
            return Any if inner is Any else Optional[inner]  # noqa: UP045 - OmegaConf wants typing.Optional
        return Any
    if origin in (list, tuple) and args and _config_type(args[0]) is not Any:
        return list[_config_type(args[0])]
    if origin is dict and len(args) == 2 and args[0] is str and _config_type(args[1]) is not Any:
        return dict[str, _config_type(args[1])]
    return Any


def schema_from_signature(cls: type, target: str | None = None) -> type:
    """A dataclass ``<Class>Conf`` with ``_target_`` and one typed field per constructor argument,
    its default taken from the signature (``MISSING`` where there is none)."""
    from omegaconf import MISSING

    init = cls.__init__  # type: ignore[misc]
    hints = typing.get_type_hints(init)
    fields: list[tuple[str, Any, Any]] = [
        ("_target_", str, dataclasses.field(default=target or f"{cls.__module__}.{cls.__qualname__}"))]
    for pname, p in inspect.signature(init).parameters.items():
        if pname == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = MISSING if p.default is p.empty else p.default
        if isinstance(default, list | dict | set):
            f = dataclasses.field(default_factory=lambda d=default: type(d)(d))
        else:
            f = dataclasses.field(default=default)
        fields.append((pname, _config_type(hints.get(pname, Any)), f))
    schema = dataclasses.make_dataclass(f"{cls.__name__}Conf", fields)
    schema.__signature_of__ = cls  # type: ignore[attr-defined]  # marks a derived schema
    return schema


def components(group: str | None = None) -> dict[tuple[str, str], type]:
    """Registered schemas (of one group, or all), as a copy."""
    return {k: v for k, v in _components.items() if group is None or k[0] == group}


def schema_of(group: str, name: str) -> type | None:
    return _components.get((group, name))
