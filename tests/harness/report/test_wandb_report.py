"""The W&B report object is built offline: panels and runsets checked, no network touched."""

from __future__ import annotations

import socket

import pytest

from harness import report as R
from tests.harness.report.sweep_builder import build_sweep

wr = pytest.importorskip("wandb_workspaces.reports.v2")


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError(f"network touched: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    import wandb_workspaces.reports.v2.interface as iface

    monkeypatch.setattr(iface, "_get_api", refuse)
    return calls


def test_build_report_offline(tmp_path, no_network):
    from harness.report.wandb_report import TRAIN_X, build_wandb_report

    rep = R.build_report(R.load_sweep(build_sweep(tmp_path / "paper")), n_resamples=200)
    report = build_wandb_report(rep, entity="someone", project="focal-harness")
    assert isinstance(report, wr.Report)
    assert report.entity == "someone" and report.project == "focal-harness"
    grids = [b for b in report.blocks if isinstance(b, wr.PanelGrid)]
    assert len(grids) == 2
    train, evals = grids
    lines = [p for p in train.panels if isinstance(p, wr.LinePlot)]
    ys = {y for p in lines for y in p.y}
    for key in ("satisfaction/hard_rule", "satisfaction/principle", "satisfaction/tag/format",
                "saturation/hard_rule", "weight/hard_rule", "weight/principle", "weight/tag/content", "weight/entropy"):
        assert f"train/{key}" in ys
    assert all(p.x == TRAIN_X for p in lines)
    assert not any(y.startswith("train/reward") for y in ys)  # only saturation/satisfaction/weight keys
    # one runset per method, each filtered to the sweep's W&B group and the job type
    for grid, job in ((train, "train"), (evals, "eval")):
        assert [rs.name for rs in grid.runsets] == [f"{m} ({job})" for m in ("focal", "prior", "static")]
        for rs in grid.runsets:
            assert "Metric(\"Group\") == 'paper'" in rs.filters
            assert f"Metric(\"JobType\") == '{job}'" in rs.filters
            assert "method:" in rs.filters
    bars = [p for p in evals.panels if isinstance(p, wr.BarPlot)]
    metrics = {str(m) for p in bars for m in p.metrics}
    assert {"eval/alpha_score", "eval/dim/a", "eval/polarization/worst_dimension"} <= metrics
    md = "\n".join(b.text for b in report.blocks if isinstance(b, wr.MarkdownBlock))
    assert "Δ focal − best static" in md and "5 of 6" in md
    assert no_network == []


def test_publish_offline_is_skipped(tmp_path, monkeypatch, no_network):
    from harness.report.wandb_report import publish

    monkeypatch.setenv("WANDB_MODE", "offline")
    rep = R.build_report(R.load_sweep(build_sweep(tmp_path / "paper")), n_resamples=200)
    assert publish(rep, entity="someone").startswith("W&B report skipped")
    assert no_network == []
