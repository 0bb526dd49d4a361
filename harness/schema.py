"""Hydra registration and composition (orchestration side of the typed configs).

The schemas live in ``core.config`` (root groups) and next to each component
(``core.registry.component``); this module imports the component packages so their
schemas register, stores everything in Hydra's ConfigStore, and composes configs.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore

from core.config import (  # noqa: F401 (the schemas, re-exported for entry points)
    Config,
    DataConf,
    EvalConf,
    LoraConf,
    LossType,
    RunConf,
    ScaleConf,
    ScaleRewards,
    TrackingConf,
    TrainConf,
)
from core.registry import component, components  # noqa: F401 (component re-exported)

COMPONENT_PACKAGES = ("methods", "evals.judges", "evals.benchmarks")
CONF_DIR = Path(__file__).resolve().parent.parent / "conf"


def import_components() -> None:
    for pkg_name in COMPONENT_PACKAGES:
        pkg = importlib.import_module(pkg_name)
        for mod in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg_name}."):
            importlib.import_module(mod.name)


def register() -> None:
    """Store every schema in Hydra's ConfigStore (idempotent; call before compose)."""
    import_components()
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
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
