"""Synthetic sweep folders with known numbers, laid out like harness.records.store/harness.cell.run write them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

SEEDS = (0, 1, 2)

# (scale, benchmark) -> method -> headline score per seed. Means: hand arithmetic below.
SCORES: dict[tuple[str, str], dict[str, list[float]]] = {
    ("small", "alpha"): {"static": [0.50, 0.52, 0.54], "prior": [0.48, 0.50, 0.52], "focal": [0.55, 0.57, 0.59]},
    ("small", "beta"): {"static": [0.30, 0.30, 0.30], "prior": [0.38, 0.40, 0.42], "focal": [0.48, 0.50, 0.52]},
    ("small", "gamma"): {"static": [0.58, 0.60, 0.62], "prior": [0.60, 0.61, 0.62], "focal": [0.57, 0.59, 0.61]},
    ("large", "alpha"): {"static": [0.68, 0.70, 0.72], "prior": [0.60, 0.65, 0.70], "focal": [0.76, 0.78, 0.80]},
    ("large", "beta"): {"static": [0.35, 0.40, 0.45], "prior": [0.44, 0.45, 0.46], "focal": [0.47, 0.48, 0.49]},
    ("large", "gamma"): {"static": [0.10, 0.20, 0.30], "prior": [0.10, 0.10, 0.10], "focal": [0.22, 0.24, 0.26]},
}
# hand arithmetic: means per (scale, benchmark, method)
MEANS = {
    ("small", "alpha"): {"static": 0.52, "prior": 0.50, "focal": 0.57},
    ("small", "beta"): {"static": 0.30, "prior": 0.40, "focal": 0.50},
    ("small", "gamma"): {"static": 0.60, "prior": 0.61, "focal": 0.59},
    ("large", "alpha"): {"static": 0.70, "prior": 0.65, "focal": 0.78},
    ("large", "beta"): {"static": 0.40, "prior": 0.45, "focal": 0.48},
    ("large", "gamma"): {"static": 0.20, "prior": 0.10, "focal": 0.24},
}
# the strongest static baseline per (scale, benchmark) and the focal delta against it
BEST = {
    ("large", "alpha"): ("static", 0.08),
    ("large", "beta"): ("prior", 0.03),
    ("large", "gamma"): ("static", 0.04),
    ("small", "alpha"): ("static", 0.05),
    ("small", "beta"): ("prior", 0.10),
    ("small", "gamma"): ("prior", -0.02),
}
# sorted by (scale, benchmark), the order the report uses
DELTAS = [BEST[k][1] for k in sorted(BEST)]
# Cliff's delta of focal vs that baseline over the 3 x 3 seed pairs, by hand:
#   large/gamma: focal .22 .24 .26 vs static .10 .20 .30 -> each beats two, loses to one: (6 - 3) / 9
#   small/gamma: focal .57 .59 .61 vs prior .60 .61 .62 -> .57 and .59 lose 3 each, .61 wins 1 ties 1
#                loses 1: (1 - 7) / 9; every other focal seed beats every baseline seed: 1
EFFECTS = [1.0, 1.0, 1 / 3, 1.0, 1.0, -2 / 3]


def _hash(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:10]


def write_cell(root: Path, method: str, scale: str, bench: str, seed: int, score: float, done: bool = True) -> Path:
    key = _hash(method, scale, bench, seed)
    pname = f"{method}-{scale}-s{seed}-{_hash(method, scale, seed)}"
    cell = root / "cells" / f"{method}-{scale}-s{seed}-{bench}-{key}"
    cell.mkdir(parents=True, exist_ok=True)
    metrics = {
        f"{bench}_score": score,
        "dim/a": score,
        "dim/b": round(score / 2, 6),
        "polarization/worst_dimension": round(score / 2, 6),
        "polarization/spread": round(score / 2, 6),
        "polarization/severe_deficiency_rate": round(1 - score, 6),
    }
    result = {
        "cell": cell.name, "cell_dir": f"runs/{root.name}/cells/{cell.name}", "key": key,
        "choices": {"method": method, "scale": scale, "benchmark": bench, "judge": "rules", "data": "toy",
                    "tracking": "wandb_offline"},
        "seed": seed, "benchmark": bench, "primary": f"{bench}_score", "score": score, "metrics": metrics,
        "n_items": 4, "train": {"steps": 3, "reward_first": 0.3, "reward_last": 0.4,
                                "model_path": f"runs/{root.name}/policies/{pname}/model"},
        "policy_dir": f"runs/{root.name}/policies/{pname}", "wandb_run": None, "wall_time_s": 1.0,
    }
    (cell / "config.yaml").write_text(
        f"seed: {seed}\ntracking:\n  backend: wandb\n  mode: offline\n  project: focal-harness\n"
        f"  entity: null\n  group: {root.name}\n"
    )
    (cell / "metrics.jsonl").write_text(json.dumps({"phase": "eval", "step": 3, **metrics}) + "\n")
    if done:
        (cell / "result.json").write_text(json.dumps(result, indent=2))
        (cell / "DONE").write_text(key + "\n")
    write_policy(root, pname, method, seed)
    return cell


def write_policy(root: Path, pname: str, method: str, seed: int) -> Path:
    pol = root / "policies" / pname
    if (pol / "DONE").exists():
        return pol
    pol.mkdir(parents=True, exist_ok=True)
    lines = []
    for step in (1, 2, 3):
        base = 0.1 * step + 0.01 * seed
        row = {
            "phase": "train", "step": step, "rewards/rubric/mean": base, "reward/mean": base,
            "satisfaction/hard_rule": base, "satisfaction/principle": base / 2,
            "satisfaction/tag/format": base, "satisfaction/tag/content": base / 3,
            "weight/hard_rule": 0.5, "weight/principle": 0.5, "weight/tag/format": 0.5, "weight/tag/content": 0.5,
            "weight/entropy": 0.69, "weight/min": 0.5, "weight/max": 0.5,
        }
        if method == "focal":
            row.update({"saturation/hard_rule": base, "saturation/principle": base / 2,
                        "weight/hard_rule": 0.5 - base / 4, "weight/principle": 0.5 + base / 4})
        lines.append(json.dumps(row))
    lines.append(json.dumps({"phase": "train_summary", "step": 3, "train_runtime": 1.0}))
    (pol / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    (pol / "train_result.json").write_text(json.dumps({"steps": 3}))
    (pol / "DONE").write_text("x\n")
    return pol


def build_sweep(root: Path, scores=SCORES, seeds=SEEDS, extra_methods: dict | None = None) -> Path:
    """Write every (method, scale, benchmark, seed) cell of ``scores``; returns the sweep folder."""
    for (scale, bench), by_method in scores.items():
        for method, vals in {**by_method, **((extra_methods or {}).get((scale, bench), {}))}.items():
            for seed, v in zip(seeds, vals, strict=True):
                write_cell(root, method, scale, bench, seed, v)
    return root
