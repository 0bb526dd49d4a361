"""The sweep's progress lines: a re-run sweep says what it found done before counting from 0."""

from __future__ import annotations

from omegaconf import OmegaConf

from harness.launch.callbacks import SweepSummary


def _config(root):
    return OmegaConf.create({"run": {"root": str(root), "sweep": "s"},
                             "hydra": {"sweeper": {"params": {"seed": "0,1"}}, "overrides": {"task": []}}})


def test_rerun_sweep_names_what_is_already_done(tmp_path, capsys):
    for sub in ("policies/static-a", "policies/focal-b", "cells/static-a-toy"):
        (tmp_path / "s" / sub).mkdir(parents=True)
        (tmp_path / "s" / sub / "DONE").write_text("")
    (tmp_path / "s" / "policies" / "prior-c").mkdir()  # not done: not counted
    cb = SweepSummary(progress_every_s=0, report=False)
    cb.on_multirun_start(_config(tmp_path))
    out = capsys.readouterr().out
    assert "2 job(s)" in out
    assert "2 policies and 1 cells already done in this folder" in out


def test_fresh_sweep_prints_no_reuse_line(tmp_path, capsys):
    SweepSummary(progress_every_s=0, report=False).on_multirun_start(_config(tmp_path))
    out = capsys.readouterr().out
    assert "job(s)" in out and "already done" not in out


def test_progress_line_shows_a_bar_and_extrapolates_the_time_left():
    from harness.launch.callbacks import progress_line

    line = progress_line(60, policies=2, cells=14, jobs=18, members=7, width=18)
    assert line.startswith("[##----------------] 14/126 cells, policies 2/18, 01:00 elapsed")
    assert line.endswith("about 08:00 left")  # 112 cells left at 14 cells a minute
    assert progress_line(5, 0, 0, 18, 7).endswith("time left: after the first cell")
    assert progress_line(500, 18, 126, 18, 7, width=4).startswith("[####] 126/126")
    assert progress_line(30, 1, 3, None, 7) == "3 cells, 1 policies done, 00:30 elapsed"
