"""Hydra callbacks: progress while a multirun runs, then one table of the sweep's cells and the report.

``SweepSummary`` (wired in conf/config.yaml):

* ``on_multirun_start`` builds the tiny model once (when the sweep uses it) so parallel jobs
  do not all wait on its build lock, and starts a progress line every ``progress_every_s``
  seconds: elapsed time, policies trained and cells finished in this sweep so far; it probes an
  LLM judge (and serves a managed one for local launchers: ``harness.models.judge_run``) so a
  dead judge fails in one line before any cell starts;
* ``on_multirun_end`` prints one line per cell (score or INCOMPLETE), then runs
  ``harness.report`` on the sweep folder with the config's ``report`` node (target, baselines,
  extra pairs) and prints its tables and where the report and its plots are (``<sweep>/report/``).
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


def sweep_table(sweep_dir: Path, max_rows: int = 30) -> str:
    """One line per cell folder: finished cells with their score, unfinished ones flagged.
    Above ``max_rows`` cells only the unfinished ones are listed, after a count."""
    from harness.report.tables import plain

    cells = sorted((sweep_dir / "cells").glob("*/")) if (sweep_dir / "cells").is_dir() else []
    if not cells:
        return f"no cells under {sweep_dir / 'cells'}"
    rows = []
    for c in cells:
        res = c / "result.json"
        if (c / "DONE").exists() and res.exists():
            r = json.loads(res.read_text())
            rows.append((c.name, r["primary"], f"{r['score']:.4f}", "done"))
        else:
            rows.append((c.name, "-", "-", "INCOMPLETE (failed, cancelled or still running)"))
    head = ""
    if len(rows) > max_rows:
        bad = [r for r in rows if r[3] != "done"]
        head = (f"{len(rows)} cells: {len(rows) - len(bad)} done, {len(bad)} INCOMPLETE" if bad
                else f"{len(rows)} cells, all done")
        if not bad:
            return head
        head += "\n"
        rows = bad
    return head + plain(("cell", "metric", "score", "status"), rows)


def expected_jobs(config: DictConfig) -> int | None:
    """Number of jobs of the multirun: the product of the sweep sizes of the config's
    ``hydra.sweeper.params`` and the command line's sweep overrides (the latter win)."""
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        params = {str(k): f"{k}={v}" for k, v in (config.hydra.sweeper.get("params") or {}).items()}
        for o in config.hydra.overrides.task:
            params[str(o).split("=", 1)[0].lstrip("+~")] = str(o)
        n = 1
        for o in OverridesParser.create().parse_overrides(list(params.values())):
            if o.is_sweep_override():
                n *= len(list(o.sweep_string_iterator()))
        return n
    except Exception:  # progress is best effort
        return None


def _count_done(folder: Path, since: float) -> int:
    if not folder.is_dir():
        return 0
    return sum(1 for m in folder.glob("*/DONE") if m.stat().st_mtime >= since)


# the progress thread's stop event lives here, not on the callback: the submitit launcher
# pickles the callbacks into every job, and locks do not pickle
_STOP: dict[int, threading.Event] = {}
_JUDGE: dict[int, ExitStack] = {}  # the managed judge server of a running multirun (same reason)


def _mmss(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60:02d}:{s % 60:02d}"


def progress_line(elapsed: float, policies: int, cells: int, jobs: int | None, members: int, width: int = 24) -> str:
    """``[#####-----] 14/126 cells, policies 2/18, 01:00 elapsed, about 07:34 left``: the time left
    extrapolates the pace of the cells done so far (unknown before the first one)."""
    if jobs is None:
        return f"{cells} cells, {policies} policies done, {_mmss(elapsed)} elapsed"
    total = jobs * members
    filled = int(width * min(cells, total) / total) if total else width
    left = f"about {_mmss(elapsed / cells * (total - cells))} left" if 0 < cells < total else (
        "time left: after the first cell" if cells == 0 else "finishing")
    return (f"[{'#' * filled}{'-' * (width - filled)}] {cells}/{total} cells, policies {policies}/{jobs}, "
            f"{_mmss(elapsed)} elapsed, {left}")


class SweepSummary(Callback):
    def __init__(self, progress_every_s: float = 20.0, report: bool = True) -> None:
        self.progress_every_s = progress_every_s
        self.report = report

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.run.root).expanduser() / str(config.run.sweep)
        from harness.models.judge_run import JudgeUnavailable, start_for_sweep

        try:  # one server for the local jobs (they read its URL from the environment), probed once, before the model build
            _JUDGE[id(self)] = start_for_sweep(config)
        except JudgeUnavailable as e:
            raise SystemExit(f"error: {e}") from None
        if config.get("scale") is not None and config.scale.get("model"):
            from harness.models.resolve import MissingExtraError, resolve_model

            t = time.time()
            try:  # built / converted once, before parallel jobs start
                path = resolve_model(str(config.scale.model), config.cache_dir)
            except MissingExtraError as e:  # Hydra turns a callback's Exception into a warning and goes on
                raise SystemExit(f"error: {e}") from None
            if path != config.scale.model:
                print(f"[sweep] model {config.scale.model} ready: {path} ({time.time() - t:.0f} s)", flush=True)
        jobs = expected_jobs(config)
        bench = config.get("benchmark")
        members = len(bench.suite) if bench is not None and "suite" in bench and "_target_" not in bench else 1
        start = time.time()
        label = f"[sweep {sweep_dir}]"
        print(f"{label} {jobs if jobs is not None else '?'} job(s) x {members} benchmark(s); "
              f"progress every {self.progress_every_s:.0f} s", flush=True)
        pre_p, pre_c = _count_done(sweep_dir / "policies", 0), _count_done(sweep_dir / "cells", 0)
        if pre_p or pre_c:  # a re-run sweep: say why the counts below start at 0
            print(f"{label} {pre_p} policies and {pre_c} cells already done in this folder: those this sweep "
                  "asks for are reused and not counted below", flush=True)

        stop = _STOP.setdefault(id(self), threading.Event())
        stop.clear()

        def loop() -> None:
            while not stop.wait(self.progress_every_s):
                pol = _count_done(sweep_dir / "policies", start - 1)
                cel = _count_done(sweep_dir / "cells", start - 1)
                print(f"{label} {progress_line(time.time() - start, pol, cel, jobs, members)}", flush=True)

        if self.progress_every_s > 0:
            threading.Thread(target=loop, name="sweep-progress", daemon=True).start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        stop = _STOP.pop(id(self), None)
        if stop is not None:
            stop.set()
        judge = _JUDGE.pop(id(self), None)
        if judge is not None:
            judge.close()  # the managed judge server, if this sweep started one
        sweep_dir = Path(config.run.root).expanduser() / str(config.run.sweep)
        print(f"\nSweep {sweep_dir}:\n" + sweep_table(sweep_dir), flush=True)
        if self.report:
            print(run_report(sweep_dir, config.get("report")), flush=True)


def run_report(sweep_dir: Path, settings: Any = None) -> str:
    """``harness.report`` on the sweep folder with the sweep's ``report`` config (target, baselines,
    pairs, training-end columns): write it, return its tables and where it is."""
    from omegaconf import OmegaConf

    from harness import report as R

    try:
        sweep = R.load_sweep(sweep_dir)
    except R.ReportError as e:
        return f"\nno report: {e}"
    if settings is not None:  # the multirun's own config wins over what the cells' config.yaml say
        node = OmegaConf.to_container(settings, resolve=True) if isinstance(settings, DictConfig) else settings
        sweep.settings = R.report_settings(node)
    rep = R.build_report(sweep)
    out = sweep.root / "report"
    files = R.write_report(rep, out)
    pngs = sorted(f.name for f in files if f.suffix == ".png")
    parts = ["", f"Report of {sweep_dir} ({len(sweep.cells)} complete cells):", "", R.render_text(rep), ""]
    miss = R.render_missing(sweep)
    if miss:
        parts += [miss, ""]
    parts.append(f"report: {out / 'report.md'}")
    parts.append(f"plots ({len(pngs)} PNG) in {out}/: {', '.join(pngs)}")
    return "\n".join(parts)
