"""Which logged keys the report groups into plot families and tables, derived from the keys present.

No dataset's tags are named here: tags written ``<prefix>:<value>`` (``level:easy``, ``axis:safety``,
``crit:no_at``) form one family per prefix, plain tags one family together; data-specific table
columns come from the ``report`` config node (:class:`harness.config.ReportConf`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# the polarization metrics a benchmark may write (result.json ``metrics``), with their direction
POLARIZATION = {
    "polarization/worst_dimension": "worst dimension (higher is better)",
    "polarization/severe_deficiency_rate": "severe-deficiency rate (lower is better)",
    "polarization/strict_completion": "strict completion (higher is better)",
}

FIXED_FAMILIES = {
    # file stem -> (title, key regex); keys from the policies' metrics.jsonl (train phase)
    "satisfaction_kind": ("satisfaction by criterion kind", r"^satisfaction/(hard_rule|principle)$"),
    "satisfaction_tag": ("satisfaction by tag", r"^satisfaction/tag/[^:]+$"),
    "saturation": ("saturation (the method's own estimate)", r"^saturation/.+$"),
    "weight_kind": ("weight by criterion kind", r"^weight/(hard_rule|principle)$"),
    "weight_tag": ("weight by tag", r"^weight/tag/.+$"),
    "weight_stats": ("weight entropy and extremes", r"^weight/(entropy|entropy_norm|min|max)$"),
}
REWARD_KEY = "rewards/rubric/mean"  # TRL's mean reward (each method's own scale)
_PREFIXED = re.compile(r"^satisfaction/tag/(?P<prefix>[^:/]+):.+$")


def tag_prefixes(keys: Iterable[str]) -> list[str]:
    """Prefixes of the ``<prefix>:<value>`` tags that have satisfaction curves."""
    return sorted({m["prefix"] for k in keys if (m := _PREFIXED.match(k))})


def curve_families(keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The fixed families plus one ``satisfaction_<prefix>`` family per tag prefix present."""
    fams = dict(FIXED_FAMILIES)
    for p in tag_prefixes(keys):
        fams[f"satisfaction_{p}"] = (f"satisfaction by tag {p}:*", rf"^satisfaction/tag/{re.escape(p)}:.+$")
    return fams


def reward_family(extra_keys: Iterable[str] = ()) -> tuple[str, str]:
    """The local-only reward plot: the method's own reward beside comparable satisfaction keys
    (``extra_keys``: the end-of-training table's ``satisfaction/`` keys)."""
    keys = [REWARD_KEY, *sorted({k for k in extra_keys if k.startswith("satisfaction/")})]
    return ("mean reward (the method's own) and rubric satisfaction",
            "^(" + "|".join(re.escape(k) for k in keys) + ")$")


def smoothed(stem: str) -> bool:
    """Per-step values of the reward and of tag-prefix families are noisy when a step's few prompts
    carry few criteria of a tag: those are plotted as a trailing rolling mean."""
    return stem == "reward" or (stem.startswith("satisfaction_") and stem not in FIXED_FAMILIES)
