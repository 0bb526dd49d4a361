"""Where the Hydra config tree is, and the typed schema of the ``data`` group that core reads.

``DataConf`` types the training data (``core.data``, ``core.layouts`` read its options and
their defaults); the root ``Config`` and the harness-level nodes (``train``, ``run``, ``report``...)
live beside their users in ``harness.config``. Pluggable components (methods, judges, benchmarks)
declare their schema next to their code with ``core.registry.component`` on the class (derived
from the constructor's signature), and their YAML pulls it in with ``- /schema/<group>/<name>@_here_``
so a typo or a wrong type fails at compose time, not an hour into a SLURM job.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from omegaconf import MISSING

# Where the Hydra config tree lives: the one place that says so. Composition is
# harness.compose's; evals reads member configs (conf/benchmark/) from here too. A checkout has
# conf/ at its top; a wheel (pip install .) ships it as core/conf/ (setup.py).
REPO_ROOT = Path(__file__).resolve().parent.parent
_SHIPPED_CONF = Path(__file__).resolve().parent / "conf"
CONF_DIR = _SHIPPED_CONF if _SHIPPED_CONF.is_dir() else REPO_ROOT / "conf"


class DataFormat(StrEnum):
    """Rubric data formats ``core.data.load_examples`` reads (``data.format``)."""

    harness = "harness"
    openrubrics = "openrubrics"
    rar = "rar"
    verl = "verl"  # RubricHub, RuscaRL: reward_model.rubrics [{criterion, points, tags}]
    healthbench = "healthbench"  # simple-evals rows: rubrics [{criterion, points, tags}], prompt_id
    researchrubrics = "researchrubrics"  # rubrics [{criterion, weight, axis}], sample_id
    auto = "auto"  # detected from the first row (core.layouts.detect)


class CriterionKind(StrEnum):
    """The paper's criterion kinds (``data.judged_kind``)."""

    hard_rule = "hard_rule"
    principle = "principle"


class UnknownRules(StrEnum):
    """A verl ``verifier: rule`` whose function the rules judge lacks: stop (``error``) or ask the LLM judge."""

    error = "error"
    llm = "llm"


class PitfallPolarity(StrEnum):
    """What a met RaR pitfall item means: its text names the mistake (``present``) or its avoidance (``absent``)."""

    present = "present"
    absent = "absent"


@dataclass
class DataConf:
    """Training rubric data: a local JSONL/JSON/parquet file in one of the ``DataFormat`` layouts, or a hub id."""

    name: str = MISSING
    path: str | None = None
    hub_id: str | None = None
    data_files: str | None = None  # hub: a glob of the repository's files to read (RubricHub: RuRL/*.parquet)
    split: str = "train"
    format: DataFormat = DataFormat.harness
    limit: int | None = None
    heldout_fraction: float = 0.0
    pitfall_polarity: PitfallPolarity = PitfallPolarity.present  # rar format: see core.layouts.classic.from_rar
    # verl/healthbench/researchrubrics (core/layouts, docs/guides/own-data.md): the kind of criteria an LLM
    # judges (they are graded met / not met for their points, hence hard_rule), what to do with rule
    # functions the rules judge lacks, which verl abilities (or data sources) to keep (null: all)
    judged_kind: CriterionKind = CriterionKind.hard_rule
    unknown_rules: UnknownRules = UnknownRules.error
    abilities: list[str] | None = None
    # LLM-judged criteria with one of these tags are Principles (graded 0-10) whatever judged_kind says,
    # e.g. [axis:completeness, axis:communication_quality, axis:context_awareness] for HealthBench rubrics
    principle_tags: list[str] | None = None
    # prompts that must never be trained on (an evaluation benchmark's file, any layout): checked by
    # prompt id and text before training; data=healthbench_train sets it to HealthBench's eval file
    exclude_path: str | None = None
    exclude_format: DataFormat = DataFormat.auto
    require_exclude: bool = False  # true: no exclude_path is an error (data drawn from an evaluation set)
