"""A sweep's records: every file the report reads, and nothing else (no weights, checkpoints, W&B).

A sweep's ``runs/<sweep>/`` holds gigabytes of policies; its records are kilobytes per cell that
can be committed next to the published report, so the report can be rebuilt from them
(``python -m harness.report <records>``) and a sweep can be resumed from them on another
machine (:func:`restore_records` copies them to ``runs/<sweep>/``: every finished cell is
skipped; a new cell of a policy whose weights are gone retrains it, see ``harness.cell.run``).
``run.records=DIR`` does both around every cell of a sweep: restore before, export after.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

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


def finished(folder: Path) -> Iterator[tuple[str, Path]]:
    """(``cells`` or ``policies``, folder) of every finished cell and policy under a sweep or records folder."""
    for sub in ("cells", "policies"):
        for d in sorted(p for p in (Path(folder) / sub).glob("*") if all((p / f).is_file() for f in REQUIRED[sub])):
            yield sub, d


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
        for sub, d in finished(sweep):
            for name in CELL_FILES if sub == "cells" else POLICY_FILES:
                if (d / name).is_file():
                    (tmp / sub / d.name).mkdir(parents=True, exist_ok=True)
                    shutil.copy2(d / name, tmp / sub / d.name / name)
                    n += 1
            for folder in POLICY_FOLDERS if sub == "policies" else ():
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


def restore_records(records: Path, sweep: Path) -> int:
    """Copy into ``sweep`` the records of every finished cell and policy it lacks (a later session,
    another machine: the sweep then skips them); returns the number of files copied. A folder the
    sweep already has is left as it is: its own files are newer."""
    records, sweep = Path(records), Path(sweep)
    n = 0
    for sub, d in finished(records):
        mine = sweep / sub / d.name
        if all((mine / f).is_file() for f in REQUIRED[sub]):
            continue
        tmp = Path(tempfile.mkdtemp(prefix=f".{d.name}.", dir=_made(sweep / sub)))
        shutil.copytree(d, tmp, dirs_exist_ok=True, copy_function=shutil.copy2)
        n += sum(1 for f in tmp.rglob("*") if f.is_file())
        shutil.rmtree(mine, ignore_errors=True)  # an unfinished one: the record says it finished
        tmp.rename(mine)
    return n


@contextlib.contextmanager
def mirrored(sweep: Path, records: str | None) -> Iterator[None]:
    """``run.records``: restore the records' finished cells and policies into ``sweep`` first, export
    the sweep's records to them at the end, failed or not (only finished ones are exported)."""
    if not records:
        yield
        return
    with records_lock(Path(records)):
        if Path(records).is_dir():
            n = restore_records(Path(records), sweep)
            if n:
                log.info("restored %d record files from %s into %s", n, records, sweep)
    try:
        yield
    finally:
        with records_lock(Path(records)):
            if Path(records).is_dir() or any(finished(sweep)):  # no empty records folder from a failed start
                log.info("exported %d record files to %s", export_records(sweep, Path(records)), records)


@contextlib.contextmanager
def records_lock(records: Path) -> Iterator[None]:
    """One export or restore at a time for ``records`` (the jobs of a SLURM sweep end in parallel)."""
    with open(_made(Path(records).parent) / f".{Path(records).name}.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder
