"""A chaos sweep: a small multirun (static, focal) whose processes are SIGKILLed at seeded random
moments (at startup, during training after a checkpoint, during evaluation), re-run until it
completes, ends with the files and the report of the same sweep run without interruption.

Checked after the last run: every ``result.json`` present, valid and marked done; each training step
exactly once in every policy mirror (and equal, step by step, to the uninterrupted run's), each eval
row once in every cell mirror; the judge's SQLite cache readable; ``harness.report``'s tables and
statistics identical to those of the uninterrupted sweep.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.records.store import read_jsonl
from tests.support.kill import after_seconds, run_until, sweep_command
from tests.support.resume_util import close, env, mirror_differences, train_rows

SEED = 15
STEPS = 6
# the resume tests' cell, as a two-job multirun on the local launcher, judged over HTTP by the
# loopback judge server (so a judge cache is written and killed mid-use); no post-sweep report
# (the test builds both reports the same way)
SWEEP = ["-m", "hydra/launcher=local", "method=static,focal", "data.limit=8", f"train.max_steps={STEPS}",
         "train.save_steps=2", "benchmark=toy_heldout", "benchmark.limit=2", "eval.max_new_tokens=8",
         "tracking=none", "scale.cpus_per_task=1", "judge=openai", "judge.require_api_key=false",
         "judge.mode=rubric", "+hydra.callbacks.sweep_summary.report=false"]
# where the kills land, in this order (the first three shuffled by the seeded RNG): every phase stays
# reachable whatever the order, since each training kill waits for a checkpoint its attempt wrote
PLAN = ["start", "training"]  # a second training kill added CI time, not a phase
TAIL = ["evaluation"]
LATENCY = 0.4  # seconds per judge request: an evaluation lasts long enough to be killed inside
JUDGE_NOISE = "judge/"  # request counts and latencies: a resumed step hits the cache where the first did not


def sweep_overrides(root: Path, cache: Path, url: str) -> list[str]:
    return [*SWEEP, f"run.root={root}", f"cache_dir={cache}", f"judge.base_url={url}",
            f"judge.cache_path={root / 'judge_cache.sqlite'}"]


class Files:
    """What a sweep folder holds right now: complete checkpoints, cells being evaluated, cells done."""

    def __init__(self, root: Path) -> None:
        self.sweep = root / "default"

    def checkpoints(self) -> set[str]:
        out = set()
        for p in self.sweep.glob("policies/*/checkpoints/checkpoint-*"):
            try:
                json.loads((p / "trainer_state.json").read_text())
            except (OSError, ValueError):
                continue
            out.add(f"{p.parent.parent.name}/{p.name}")
        return out

    def evaluating(self, since: float) -> list[str]:
        """Cells whose evaluation started after ``since`` (time.time(); config.yaml is written first)
        and has no result yet: a cell an earlier attempt was killed in does not count."""
        return [c.name for c in self.sweep.glob("cells/*") if _mtime(c / "config.yaml") >= since
                and not (c / "result.json").exists()]

    def done(self) -> list[str]:
        return sorted(c.name for c in self.sweep.glob("cells/*") if (c / "DONE").exists())


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return -1.0


def once_then(pred: Callable[[], object], delay: float) -> Callable[[float], bool]:
    """A kill condition: ``delay`` seconds after ``pred()`` is first true."""
    first: list[float] = []

    def cond(elapsed: float) -> bool:
        if not first and pred():
            first.append(elapsed)
        return bool(first) and elapsed >= first[0] + delay

    return cond


def kill_condition(phase: str, files: Files, rng: random.Random) -> Callable[[float], bool]:
    if phase == "start":  # the interpreter, Hydra, the launcher and the jobs' imports: nothing written yet
        return after_seconds(rng.uniform(0.3, 2.5))
    if phase == "training":  # into the next steps after a checkpoint this attempt wrote
        before = files.checkpoints()
        return once_then(lambda: files.checkpoints() - before, rng.uniform(0.0, 0.6))
    if phase == "evaluation":  # generating or judging the held-out items
        since = time.time()
        return once_then(lambda: files.evaluating(since), rng.uniform(0.0, 0.15))
    raise ValueError(phase)


def snapshot(files: Files) -> tuple[set[str], int, float]:
    """(complete checkpoints, train rows in all policy mirrors, now)."""
    rows = sum(len(train_rows(p)) for p in files.sweep.glob("policies/*/"))
    return files.checkpoints(), rows, time.time()


def landed_in(files: Files, before: tuple[set[str], int, float]) -> str:
    """Where a kill really landed, from the files it left (nothing changes after a SIGKILL)."""
    ckpts, rows, _ = snapshot(files)
    if files.evaluating(before[2] - 1.0):  # (mtimes: 1 s of file-system clock slack)
        return "evaluation"
    if ckpts - before[0]:
        return "training"  # after a checkpoint this attempt wrote
    return "early training" if rows > before[1] else "start"


def report_of(sweep: Path, out: Path) -> dict[str, object]:
    """``python -m harness.report <sweep>`` (its main, in this process): its tables and statistics."""
    import pandas as pd

    from harness.report.cli import main

    assert main([str(sweep), "--out", str(out), "--no-plots", "--n-resamples", "500"]) == 0
    tables: dict[str, object] = {p.name: pd.read_csv(p) for p in sorted(out.glob("*.csv"))}
    tables["statistics.json"] = json.loads((out / "statistics.json").read_text())
    tables["report.md"] = (out / "report.md").read_text().replace(str(sweep), "<sweep>")
    return tables


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)


def no_timing(df):
    return df[[c for c in df.columns if not str(c).startswith("timing/") and "wall" not in str(c)]]


@pytest.fixture
def judge_server():
    from core.data import load_training_examples
    from harness.compose import compose_sweep as compose
    from tests.support.testserver import JudgeTestServer

    cfg, _ = compose(["data.limit=8"])
    train, held = load_training_examples(cfg.data)
    srv = JudgeTestServer(latency=LATENCY, record=False).start()
    srv.register(*(e.rubric for e in [*train, *held]))  # the server scores as the rules judge would
    try:
        yield srv
    finally:
        srv.stop()


@pytest.mark.slow
def test_chaos_sweep_ends_as_the_uninterrupted_sweep(tmp_path, tiny_cache, judge_server):
    t0 = time.monotonic()
    ref_root, root = tmp_path / "uninterrupted", tmp_path / "chaos"
    ref = run_until(sweep_command(sweep_overrides(ref_root, tiny_cache, judge_server.url)), env=env(tiny_cache),
                    log_path=tmp_path / "uninterrupted.log")
    assert ref.returncode == 0, ref.log[-4000:]
    t_ref = time.monotonic() - t0

    rng = random.Random(SEED)
    plan = rng.sample(PLAN, len(PLAN)) + TAIL
    files, cmd = Files(root), sweep_command(sweep_overrides(root, tiny_cache, judge_server.url))
    kills: list[tuple[str, str, float]] = []  # (planned, where it landed, seconds into the attempt)
    outside: list[int] = []  # attempts whose jobs something else killed (not counted as kills)
    attempts = 0
    while True:
        attempts += 1
        assert attempts <= len(PLAN) + len(TAIL) + 3 + len(outside) and len(outside) <= 2, f"no end: kills {kills}, {outside}"
        planned = plan.pop(0) if plan else None
        before = snapshot(files)
        cond = kill_condition(planned, files, rng) if planned else None
        out = run_until(cmd, kill_when=cond, env=env(tiny_cache), log_path=tmp_path / f"attempt-{attempts}.log")
        if out.killed:
            kills.append((str(planned), landed_in(files, before), round(out.seconds, 2)))
            continue
        if out.returncode != 0 and "(state: INTERRUPTED)" in out.log:  # a job killed from outside the test
            outside.append(attempts)
            plan[:0] = [planned] if planned else []  # that kill is still to come
            continue
        assert out.returncode == 0, f"attempt {attempts} failed (kills so far {kills}):\n{out.log[-4000:]}"
        if len(files.done()) == 2:
            break
    print(f"\nchaos sweep: {len(kills)} kills {kills}, {attempts} attempts (killed from outside: {outside}), "
          f"{time.monotonic() - t0 - t_ref:.0f} s (uninterrupted {t_ref:.0f} s)")
    assert len(kills) >= len(PLAN) + len(TAIL), kills
    assert {"start", "training", "evaluation"} <= {landed for _, landed, _ in kills}, kills

    # every result present, valid, marked done, and the uninterrupted sweep's
    ref_files = Files(ref_root)
    assert files.done() == ref_files.done() and len(files.done()) == 2
    for name in files.done():
        cell, ref_cell = files.sweep / "cells" / name, ref_files.sweep / "cells" / name
        res, ref_res = json.loads((cell / "result.json").read_text()), json.loads((ref_cell / "result.json").read_text())
        assert (cell / "DONE").read_text().strip() == res["key"]
        assert same(res["metrics"], ref_res["metrics"]) and close(res["score"], ref_res["score"])
        assert res["train"]["steps"] == STEPS
        # each eval row once in the cell's mirror; the samples once each
        evals = [r for r in read_jsonl(cell / "metrics.jsonl") if r["phase"] == "eval"]
        assert len(evals) == 1 and same(evals[0], read_jsonl(ref_cell / "metrics.jsonl")[0])
        assert len(read_jsonl(cell / "samples.jsonl")) == res["n_items"]

    # each training step exactly once in every policy mirror, with the uninterrupted run's values
    policies = sorted((files.sweep / "policies").iterdir())
    assert [p.name for p in policies] == sorted(p.name for p in (ref_files.sweep / "policies").iterdir())
    for policy in policies:
        got, want = train_rows(policy), train_rows(ref_files.sweep / "policies" / policy.name)
        assert [r["step"] for r in got] == list(range(1, STEPS + 1)), policy.name
        strip = [[{k: v for k, v in r.items() if not k.startswith(JUDGE_NOISE)} for r in rows] for rows in (want, got)]
        assert mirror_differences(*strip) == [], policy.name
        assert len([r for r in read_jsonl(policy / "metrics.jsonl") if r["phase"] == "train_summary"]) == 1

    # the judge cache survived the kills: intact, every entry parses
    db = sqlite3.connect(root / "judge_cache.sqlite")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        values = [json.loads(v) for (v,) in db.execute("SELECT value FROM judgments")]
    finally:
        db.close()
    assert values and all(isinstance(v, dict) for v in values)

    # the report: the same tables, statistics and text as the uninterrupted sweep's
    a, b = report_of(ref_files.sweep, tmp_path / "report-uninterrupted"), report_of(files.sweep, tmp_path / "report-chaos")
    assert a.keys() == b.keys() and {"cells.csv", "main_table.csv", "comparisons.csv"} <= a.keys()
    import pandas as pd

    for name in a:
        if name.endswith(".csv"):
            pd.testing.assert_frame_equal(no_timing(a[name]), no_timing(b[name]), check_exact=False, rtol=1e-6)
        else:
            assert a[name] == b[name], name
    assert b["statistics.json"]["incomplete"] == [] and b["statistics.json"]["duplicates"] == []
    assert all(close(x, y) for x, y in zip(a["cells.csv"]["score"], b["cells.csv"]["score"], strict=True))
