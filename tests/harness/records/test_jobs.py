"""The job timeline: one line per job with where its time went, read back in order."""

from __future__ import annotations

from harness.records import jobs


def test_a_suite_job_counts_its_training_once_and_the_evaluation_of_the_cells_it_ran(tmp_path):
    train = {"trainer": {"train_runtime": 12.5}}
    result = {"cells": [{"wall_time_s": 1.5, "train": train}, {"wall_time_s": 2.0, "train": train},
                        {"wall_time_s": 9.0, "train": train, "skipped": True}]}
    rec = jobs.job_record(["method=focal", "seed=1"], start=100.0, end=130.0, import_s=4.0, result=result)
    assert rec["job"] == "method=focal seed=1" and rec["wall_s"] == 30.0
    assert (rec["import_s"], rec["train_s"], rec["eval_s"], rec["cells"]) == (4.0, 12.5, 3.5, 2)
    jobs.append(tmp_path, rec)
    jobs.append(tmp_path, {**rec, "job": "method=static seed=0"})
    assert [r["job"] for r in jobs.read(tmp_path)] == ["method=focal seed=1", "method=static seed=0"]


def test_a_job_whose_policy_was_already_trained_has_no_training_time(tmp_path):
    done = {"wall_time_s": 0.5, "train": {"trainer": {"train_runtime": 12.5}}, "skipped": True}
    rec = jobs.job_record([], 0.0, 1.0, 0.0, done)
    assert (rec["train_s"], rec["eval_s"], rec["cells"]) == (0.0, 0.0, 0)
    assert jobs.read(tmp_path / "nowhere") == []
