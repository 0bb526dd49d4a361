"""Entry point: ``python -m harness.sweep [overrides]`` (``-m`` for a sweep of cells).

Thin on purpose: Hydra composes conf/, the launcher places the job, and
``harness.cell.run.run_cell`` does the work. With no override at all it runs the main job
(``harness.compose.MAIN_JOB``: ``experiment=toy``); any override composes the plain root config.
"""

from __future__ import annotations

import logging
import os
import sys
import time

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from harness.compose import CONF_DIR, main_job_argv, register

os.environ.setdefault("WANDB_SILENT", "true")
register()


@hydra.main(version_base=None, config_path=str(CONF_DIR), config_name="config")
def main(cfg: DictConfig) -> dict:
    from harness.cell import distributed
    from harness.cell.run import run_cell, summary_table, train_worker
    from harness.cell.train import check_batch
    from harness.launch import preemption
    from harness.models.judge_run import JudgeUnavailable, judge_for_run
    from harness.models.resolve import check_model
    from harness.records import jobs
    from harness.records.export import mirrored
    from harness.records.store import sweep_dir

    start = time.time()
    import_s = jobs.import_heavy()
    check_model(str(cfg.scale.model))  # a missing optional extra fails here, in one line, before any work
    try:
        check_batch(cfg.train, cfg.scale)  # train.prompts_per_step that does not split over the processes
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    choices = {k: str(v) for k, v in HydraConfig.get().runtime.choices.items() if not k.startswith("hydra")}
    preemption.watch()
    world = distributed.setup(int(cfg.scale.processes_per_node), float(cfg.scale.timeout_min))
    if not world.main:  # ranks > 0 of a multi-process job only train, with rank 0
        train_worker(cfg, choices)
        return {}
    try:  # run.records: resume from a records folder, mirror this cell's records into it
        with mirrored(sweep_dir(cfg.run), cfg.run.records), judge_for_run(cfg):  # judge: one line, before any file
            result = run_cell(cfg, choices)
    except JudgeUnavailable as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    except Exception:
        if preemption.preempted():  # submitit already requeued this job: exit as its handler would
            logging.getLogger(__name__).warning("preempted and requeued; the next attempt resumes")
            sys.exit(-1)
        raise
    print("\n" + summary_table(result), flush=True)
    jobs.append(sweep_dir(cfg.run), jobs.job_record(HydraConfig.get().overrides.task, start, time.time(), import_s, result))
    return result


if __name__ == "__main__":
    sys.argv[1:] = main_job_argv(sys.argv[1:])
    main()
