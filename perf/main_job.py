"""The main job's wall time from a fresh start, and where it goes: ``python -m perf.main_job``.

Each run is what a new user's first ``python -m harness.sweep`` does after the install: an empty
model cache (``FOCAL_HARNESS_CACHE`` in a new temporary folder, so the tiny model is fetched or built
again) and an empty run folder. Runs go one after another; nothing else should run on the machine.
It prints, per run, the phases of the wall time, from the sweep's job timeline
(``runs/<sweep>/jobs.jsonl``, written by every job: ``harness.records.jobs``):

* before the first job: interpreter, Hydra composition, the tiny model, the launcher's start;
* the jobs: the span from the first job's start to the last one's end, and inside the jobs (summed
  over jobs, so parallel jobs add up to more than the span) imports, GRPO training, evaluation and
  the rest (model loading, trainer set-up, W&B);
* after the last job: the summary table and the report.

Then the minimum, median and maximum wall time over the runs: the figure the README states.

    python -m perf.main_job --runs 3               # the main job as the README runs it
    python -m perf.main_job --runs 1 -- hydra/launcher=local   # the same with a process per job
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.compose import MAIN_JOB
from harness.records import jobs
from harness.report.tables import markdown


def one_run(overrides: list[str], keep: Path | None = None) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="main-job-", dir=keep))
    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(tmp / "cache")}
    cmd = [sys.executable, "-m", "harness.sweep", *MAIN_JOB, f"run.root={tmp / 'runs'}", *overrides]
    t0 = time.time()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t1 = time.time()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[1:])} failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
    (sweep,) = [p for p in (tmp / "runs").iterdir() if (p / jobs.FILE).is_file()]
    timeline = jobs.read(sweep)
    first, last = min(j["start"] for j in timeline), max(j["end"] for j in timeline)
    total = {k: sum(j[k] for j in timeline) for k in ("wall_s", "import_s", "train_s", "eval_s")}
    return {
        "wall": t1 - t0, "before first job": first - t0, "jobs span": last - first, "after last job": t1 - last,
        "jobs": len(timeline), "workers": len({j["pid"] for j in timeline}),
        "sum of job walls": total["wall_s"], "imports": total["import_s"], "GRPO training": total["train_s"],
        "evaluation": total["eval_s"],
        "rest of jobs (model load, trainer set-up, W&B)": total["wall_s"] - total["import_s"] - total["train_s"]
        - total["eval_s"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m perf.main_job", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="make the run folders here (default: system temp)")
    ap.add_argument("overrides", nargs="*", help="after --: overrides on top of the main job (experiment=toy)")
    args = ap.parse_args(argv)
    runs = []
    for i in range(args.runs):
        runs.append(one_run(args.overrides, args.keep))
        print(f"run {i + 1}/{args.runs}: {runs[-1]['wall']:.0f} s", file=sys.stderr, flush=True)
    names = [k for k in runs[0] if k not in ("jobs", "workers")]
    rows = [[k, *(f"{r[k]:.0f}" for r in runs)] for k in names]
    rows.append(["jobs / worker processes", *(f"{r['jobs']:.0f} / {r['workers']:.0f}" for r in runs)])
    print(markdown(["seconds", *(f"run {i + 1}" for i in range(len(runs)))], rows))
    walls = sorted(r["wall"] for r in runs)
    print(f"\nwall time over {len(walls)} run(s): min {walls[0]:.0f} s, median {statistics.median(walls):.0f} s, "
          f"max {walls[-1]:.0f} s ({' '.join(args.overrides) or 'the main job'}; fresh cache and run folder each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
