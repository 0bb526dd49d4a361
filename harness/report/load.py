"""Reading a sweep folder: complete cells, training curves, the expected grid, the report settings.

Only files are read (``cells/*/result.json``, ``DONE``, ``config.yaml``, ``policies/*/metrics.jsonl``).
Method, scale, benchmark and seed come from ``result.json`` (its ``choices``, written by the cell);
folder names are only parsed for cells and policies without a result, using the names the
complete cells carry, so a name containing ``-`` works.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import OmegaConf

from harness.config import ReportConf

KEYS = ("method", "scale", "benchmark", "seed")
CURVE_PREFIXES = ("satisfaction/", "saturation/", "weight/", "reward/", "rewards/", "completions/clipped_ratio")
_CELL_RE = re.compile(r"^(?P<head>.+)-s(?P<seed>\d+)-(?P<benchmark>.+)-(?P<hash>[0-9a-f]{10})$")
_POLICY_RE = re.compile(r"^(?P<head>.+)-s(?P<seed>\d+)-(?P<hash>[0-9a-f]{10})$")


class ReportError(Exception):
    """Nothing to report (no folder, no cells, no complete cell): a one-line message, exit 2."""


@dataclass
class Sweep:
    root: Path
    cells: pd.DataFrame  # one row per complete cell: KEYS, cell, primary, score, n_items, policy, <metrics...>
    curves: pd.DataFrame  # long: method, scale, seed, policy, step, key, value
    missing: list[dict[str, Any]] = field(default_factory=list)  # expected (method, scale, benchmark, seed) with no complete cell
    incomplete: list[str] = field(default_factory=list)  # cell folders without DONE/result.json (or a stale DONE)
    duplicates: list[str] = field(default_factory=list)  # complete cells superseded by a newer one with the same keys
    group: str = ""
    project: str = "focal-harness"
    entity: str | None = None
    settings: ReportConf = field(default_factory=ReportConf)  # the sweep's own ``report`` config node


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The one mirror reader (``harness.records.store.read_jsonl``): a cut last line is dropped with a warning."""
    from harness.records.store import read_jsonl as read

    return read(path)


def read_config(cell_dir: Path) -> dict[str, Any]:
    """A cell's config.yaml as a plain dict (best effort: {} when absent or broken)."""
    try:
        cfg = OmegaConf.to_container(OmegaConf.load(cell_dir / "config.yaml"))
    except Exception:  # noqa: BLE001 - a broken config must not stop the report
        return {}
    return cfg if isinstance(cfg, dict) else {}


def report_settings(node: Mapping[str, Any] | None) -> ReportConf:
    """The typed report settings: defaults, overridden by a (sweep's) ``report`` node."""
    base = OmegaConf.structured(ReportConf)
    if node:
        base = OmegaConf.merge(base, OmegaConf.create(dict(node)))
    return OmegaConf.to_object(base)  # type: ignore[return-value]


def split_head(head: str, methods: Iterable[str], scales: Iterable[str]) -> tuple[str, str]:
    """``<method>-<scale>`` -> (method, scale), preferring the split whose parts are known names."""
    methods, scales = set(methods), set(scales)
    cuts = [i for i, ch in enumerate(head) if ch == "-"]
    if not cuts:
        return head, ""
    best = max(cuts, key=lambda i: ((head[:i] in methods) + (head[i + 1:] in scales), -i))
    return head[:best], head[best + 1:]


def parse_name(name: str, methods: Iterable[str] = (), scales: Iterable[str] = (),
               cell: bool = True) -> dict[str, Any] | None:
    """Keys of a cell (``<method>-<scale>-s<seed>-<benchmark>-<hash>``) or policy folder name."""
    m = (_CELL_RE if cell else _POLICY_RE).match(name)
    if not m:
        return None
    method, scale = split_head(m["head"], methods, scales)
    out: dict[str, Any] = {"method": method, "scale": scale, "seed": int(m["seed"])}
    if cell:
        out["benchmark"] = m["benchmark"]
    return out


def _cell_row(d: Path, res: dict[str, Any]) -> dict[str, Any]:
    ch = dict(res.get("choices") or {})
    if not ch.get("method") or not ch.get("scale"):  # a result written before choices were recorded
        ch = {**(parse_name(d.name) or {}), **ch}
    row = {
        "method": str(ch.get("method", "")),
        "scale": str(ch.get("scale", "")),
        "benchmark": str(res.get("benchmark") or ch.get("benchmark", "")),
        "seed": int(res.get("seed", 0)),
        "cell": d.name,
        "primary": res.get("primary"),
        "score": float(res["score"]) if res.get("score") is not None else math.nan,
        "n_items": res.get("n_items"),
        "policy": Path(str(res.get("policy_dir", ""))).name,
        "_mtime": (d / "result.json").stat().st_mtime,
    }
    for k, v in (res.get("metrics") or {}).items():
        if isinstance(v, int | float) and not isinstance(v, bool):
            row[k] = float(v)
    return row


def load_sweep(root: str | Path) -> Sweep:
    """Read a sweep folder ``runs/<sweep>/``; raise :class:`ReportError` when there is nothing to report."""
    root = Path(root)
    if not root.is_dir():
        raise ReportError(f"no such sweep folder: {root}")
    cells_dir = root / "cells"
    dirs = sorted(p for p in cells_dir.iterdir() if p.is_dir()) if cells_dir.is_dir() else []
    if not dirs:
        inner = sorted(p.name for p in root.iterdir() if (p / "cells").is_dir())
        hint = f"; sweep folders inside: {', '.join(inner)}" if inner else ""
        raise ReportError(f"no cells in {root} (expected {root}/cells/<method>-<scale>-s<seed>-<benchmark>-<hash>/){hint}")
    rows, incomplete = [], []
    for d in dirs:
        res = read_json(d / "result.json")
        marker = d / "DONE"
        key = marker.read_text().strip() if marker.exists() else None
        if res is None or key is None or key != str(res.get("key", key)):
            incomplete.append(d.name)
            continue
        rows.append(_cell_row(d, res))
    if not rows:
        raise ReportError(f"no complete cell in {root}: {len(incomplete)} incomplete ({', '.join(incomplete[:5])})")
    cells = pd.DataFrame(rows).sort_values("_mtime")
    dup_mask = cells.duplicated(subset=list(KEYS), keep="last")
    duplicates = cells.loc[dup_mask, "cell"].tolist()
    cells = cells.loc[~dup_mask].drop(columns="_mtime").sort_values(list(KEYS)).reset_index(drop=True)
    methods, scales = set(cells["method"]), set(cells["scale"])
    seen = [{k: r[k] for k in KEYS} for r in rows]
    seen += [p for p in (parse_name(n, methods, scales) for n in incomplete) if p]
    configs = (read_config(cells_dir / c) for c in cells["cell"])
    cfg = next((c for c in configs if c), {})
    tr = cfg.get("tracking") or {}
    return Sweep(
        root=root,
        cells=cells,
        curves=load_curves(root, cells),
        missing=expected_missing(seen, cells),
        incomplete=incomplete,
        duplicates=duplicates,
        group=str(tr.get("group") or root.name),
        project=str(tr.get("project") or "focal-harness"),
        entity=tr.get("entity"),
        settings=report_settings(cfg.get("report")),
    )


def expected_missing(seen: Iterable[dict[str, Any]], cells: pd.DataFrame) -> list[dict[str, Any]]:
    """Grid = product of the observed methods x scales x benchmarks x seeds; those without a complete cell."""
    seen = list(seen)
    axes = [sorted({s[k] for s in seen}) for k in KEYS]
    have = set(map(tuple, cells[list(KEYS)].itertuples(index=False, name=None)))
    return [dict(zip(KEYS, combo, strict=True)) for combo in product(*axes) if combo not in have]


def load_curves(root: Path, cells: pd.DataFrame) -> pd.DataFrame:
    """Training curves (phase == train) of every policy folder, long format; ``finished`` says
    whether the policy's training ended (its ``DONE`` marker), so a policy still training (or
    killed) can show its curve but never counts as an end of training."""
    owner: dict[str, tuple[str, str, int]] = {}
    for r in cells.itertuples(index=False):
        owner.setdefault(r.policy, (r.method, r.scale, int(r.seed)))
    methods, scales = set(cells["method"]), set(cells["scale"])
    frames = []
    pdir = root / "policies"
    for d in sorted(p for p in pdir.iterdir() if p.is_dir()) if pdir.is_dir() else []:
        who = owner.get(d.name)
        if who is None:
            p = parse_name(d.name, methods, scales, cell=False)
            if p is None:
                continue
            who = (p["method"], p["scale"], p["seed"])
        recs = []
        for r in read_jsonl(d / "metrics.jsonl"):
            if r.get("phase") != "train" or r.get("step") is None:
                continue
            for k, v in r.items():
                if k.startswith(CURVE_PREFIXES) and isinstance(v, int | float) and not isinstance(v, bool):
                    recs.append((int(r["step"]), k, float(v)))
        if recs:
            f = pd.DataFrame(recs, columns=["step", "key", "value"])
            f.insert(0, "policy", d.name)
            f["finished"] = (d / "DONE").exists()
            f.insert(0, "seed", who[2])
            f.insert(0, "scale", who[1])
            f.insert(0, "method", who[0])
            frames.append(f)
    cols = ["method", "scale", "seed", "policy", "step", "key", "value", "finished"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
