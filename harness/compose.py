"""How configs compose: Hydra registration, the root config, and one method on its own.

The schemas live beside their users: the root and its harness-level nodes in ``harness.config``,
the ``data`` node's in ``core.config`` (with ``CONF_DIR``: where ``conf/`` is), each component's
next to its code (``core.registry.component``); this module imports the component packages so
their schemas register, stores everything in Hydra's ConfigStore, and composes.
``compose_method``/``instantiate_method`` build a method exactly as the trainer's config
does, for the contract tests, ``harness.tools.simulate`` and ``perf.aggregation``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore

from core.config import CONF_DIR  # noqa: F401 (where conf/ is, for the entry points)
from core.registry import component, components  # noqa: F401 (component re-exported)
from harness.config import Config, EvaluateConfig, LoraConf

COMPONENT_PACKAGES = ("methods", "evals.judges", "evals.benchmarks")

# The embedded default: what a bare ``python -m harness.sweep`` runs. The root config applies no preset, so
# any command with an override composes the plain root (no toy values leak into a SLURM or paper sweep);
# only a command with no override at all gets this one (Hydra's flags such as ``--cfg job`` or ``-m`` are
# not overrides, so ``--cfg job`` shows exactly the main job).
MAIN_JOB = ("experiment=toy",)


def main_job_overrides(overrides: Sequence[str]) -> list[str]:
    """``overrides`` as given, or the main job's preset when there are none."""
    return list(overrides) if overrides else list(MAIN_JOB)


def main_job_argv(argv: Sequence[str]) -> list[str]:
    """A command line (no program name) with the main job's preset added when it names no override."""
    from hydra._internal.utils import get_args_parser  # Hydra's own parser: its flags are not overrides

    args, _ = get_args_parser().parse_known_args(list(argv))
    return list(argv) if args.overrides else [*argv, *MAIN_JOB]


def import_components() -> None:
    for pkg_name in COMPONENT_PACKAGES:
        pkg = importlib.import_module(pkg_name)
        for mod in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg_name}."):
            importlib.import_module(mod.name)


def pool_workers(cpus_per_task: int | str | None) -> int:
    """How many jobs the local pool runs at once: the cores this process may use, ``cpus_per_task`` each."""
    return max(1, len(os.sched_getaffinity(0)) // max(1, int(cpus_per_task or 1)))


def register() -> None:
    """Store every schema in Hydra's ConfigStore and the ``pool_workers`` resolver (idempotent; call before compose)."""
    from omegaconf import OmegaConf

    OmegaConf.register_new_resolver("pool_workers", pool_workers, replace=True)
    import_components()
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    cs.store(name="base_evaluate", node=EvaluateConfig)
    cs.store(group="schema/peft", name="lora", node=LoraConf)
    for (group, name), cls in components().items():
        cs.store(group=f"schema/{group}", name=name, node=cls)


def compose_config(config_name: str, overrides: Sequence[str] = ()) -> tuple[Any, dict[str, str]]:
    """(config, chosen group options) as ``python -m <entry> <overrides>`` would compose them.

    Call ``register()`` (and any entry-specific registration) first.
    """
    from hydra import compose, initialize_config_dir
    from omegaconf import open_dict

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        cfg = compose(config_name, overrides=list(overrides), return_hydra_config=True)
    choices = {k: str(v) for k, v in cfg.hydra.runtime.choices.items() if not k.startswith("hydra")}
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg, choices


def compose_sweep(overrides: Sequence[str] = ()) -> tuple[Any, dict[str, str]]:
    """The config and group choices that ``python -m harness.sweep <overrides>`` would get.

    No overrides: the main job (``MAIN_JOB``), as the command line gives it.
    """
    register()
    return compose_config("config", main_job_overrides(overrides))


def compose_evaluate(overrides: Sequence[str] = ()) -> tuple[Any, dict[str, str]]:
    """The config and group choices that ``python -m harness.evaluate <overrides>`` would get."""
    register()
    return compose_config("evaluate", overrides)


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

