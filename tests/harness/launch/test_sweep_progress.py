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
