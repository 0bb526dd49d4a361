"""A sweep's records: every file the report reads, and nothing else (no weights, checkpoints, W&B).

A sweep's ``runs/<sweep>/`` holds gigabytes of policies; its records are kilobytes per cell that
can be committed next to the published report, so the report can be rebuilt from them
(``python -m harness.report <records>``) and a sweep can be resumed from them on another
machine (copy them to ``runs/<sweep>/``: every finished cell is skipped; a new cell of a policy
whose weights are gone retrains it, see ``harness.cell.run``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

CELL_FILES = ("DONE", "config.yaml", "result.json", "metrics.jsonl", "samples.jsonl")
POLICY_FILES = ("DONE", "config.yaml", "metrics.jsonl", "train_result.json")
POLICY_FOLDERS = ("verdicts",)  # per-step verdicts (harness.records.verdicts): kilobytes per step
# finished ones only: an unfinished policy has no result yet, and without its checkpoint it trains from step 1
REQUIRED = {"cells": ("DONE", "result.json"), "policies": ("DONE",)}


def check_destination(sweep: Path, dest: Path) -> str | None:
    """Why ``dest`` cannot take the records (it is replaced whole), or None."""
    s, d = Path(sweep).resolve(), Path(dest).resolve()
    if d == s or d in s.parents:
        return f"--records {dest}: would replace the sweep folder {sweep} itself"
    if s in d.parents and d.relative_to(s).parts[0] in ("cells", "policies"):
        return f"--records {dest}: is inside {sweep}'s cells/ or policies/"
    return None


def export_records(sweep: Path, dest: Path) -> int:
    """Copy the records of the finished cells and policies of ``sweep`` to ``dest``, replaced whole via
    a temp folder beside it (a failed export leaves the old records); returns the number of files.
    Modification times are kept: the report picks the newest of two cells with the same keys by them."""
    sweep, dest = Path(sweep), Path(dest)
    why = check_destination(sweep, dest)
    if why:
        raise ValueError(why)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    n = 0
    try:
        for sub, names in (("cells", CELL_FILES), ("policies", POLICY_FILES)):
            for d in sorted(p for p in (sweep / sub).glob("*") if all((p / f).is_file() for f in REQUIRED[sub])):
                for name in names:
                    if (d / name).is_file():
                        (tmp / sub / d.name).mkdir(parents=True, exist_ok=True)
                        shutil.copy2(d / name, tmp / sub / d.name / name)
                        n += 1
                if sub == "policies":
                    for folder in POLICY_FOLDERS:
                        for f in sorted((d / folder).glob("*.parquet")):
                            (tmp / sub / d.name / folder).mkdir(parents=True, exist_ok=True)
                            shutil.copy2(f, tmp / sub / d.name / folder / f.name)
                            n += 1
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return n
