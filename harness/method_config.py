"""Find, compose and instantiate the methods in ``conf/method/*.yaml``.

Used by the contract test, ``harness.simulate`` and ``benchmarks.aggregation`` so that
every consumer builds a method exactly the way the trainer's Hydra config does.
Hydra is imported lazily (``harness.schema.register`` imports every module here).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"


def method_names(conf_dir: Path = CONF_DIR) -> list[str]:
    return sorted(p.stem for p in (Path(conf_dir) / "method").glob("*.yaml"))


def compose_method(
    name: str, overrides: Sequence[str] = (), root: bool | None = None, conf_dir: Path = CONF_DIR
) -> Any:
    """The composed ``method`` node for ``conf/method/<name>.yaml``.

    ``overrides`` are relative to the method (``"gamma=0"``). ``root=True`` composes the
    root ``conf/config.yaml`` with ``method=<name>`` (what the trainer sees); ``False``
    composes the method file on its own; ``None`` uses the root config when it exists.
    """
    from hydra import compose, initialize_config_dir

    from harness.schema import register

    register()
    conf_dir = Path(conf_dir).resolve()
    if root is None:
        root = (conf_dir / "config.yaml").is_file()
    scoped = [_scope(o) for o in overrides]
    with initialize_config_dir(config_dir=str(conf_dir), version_base=None):
        if root:
            cfg = compose(config_name="config", overrides=[f"method={name}", *scoped])
        else:
            cfg = compose(config_name=f"method/{name}", overrides=scoped)
    return cfg.method


def _scope(override: str) -> str:
    """``gamma=0`` -> ``method.gamma=0``; keeps Hydra's ``+``/``++``/``~`` prefixes in front."""
    head = len(override) - len(override.lstrip("+~"))
    return f"{override[:head]}method.{override[head:]}"


def instantiate_method(
    name: str, overrides: Sequence[str] = (), root: bool | None = None, **kwargs: Any
) -> Any:
    """A fresh ``Method`` instance (fresh state) built from ``conf/method/<name>.yaml``."""
    from hydra.utils import instantiate

    return instantiate(compose_method(name, overrides, root=root), **kwargs)
