"""Run store: atomic writes, markers keyed by config hash, redaction, layout."""

from __future__ import annotations

import json
import os

import pytest

from harness.store import RunDir, atomic_write_json, config_hash, layout, redact
from harness.sweep import compose


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    p = tmp_path / "result.json"
    atomic_write_json(p, {"a": 1})

    class Boom:
        def __str__(self):
            raise RuntimeError("cannot serialize")

    with pytest.raises(RuntimeError):
        atomic_write_json(p, {"a": Boom()})
    assert json.loads(p.read_text()) == {"a": 1}
    assert os.listdir(tmp_path) == ["result.json"]  # no temp file left behind


def test_marker_is_keyed_by_hash(tmp_path):
    d = RunDir(tmp_path / "cell", "abc")
    assert not d.done()
    d.mark_done()
    assert d.done()
    assert not RunDir(tmp_path / "cell", "other").done()


def test_redact_hides_secret_values_but_keeps_env_names():
    cfg = {"judge": {"api_key": "sk-123", "api_key_env": "OPENAI_API_KEY", "nested": [{"token": "t"}]}, "x": 1}
    red = redact(cfg)
    assert red["judge"]["api_key"] == "<redacted>" and red["judge"]["api_key_env"] == "OPENAI_API_KEY"
    assert red["judge"]["nested"][0]["token"] == "<redacted>" and red["x"] == 1
    assert "sk-123" not in json.dumps(red)


def test_layout_shares_policy_across_benchmarks_and_separates_methods(tmp_path):
    root = f"run.root={tmp_path}"
    one = "experiment=smoke"  # a single-benchmark cell (the default is the toy sweep over a suite)
    a_cfg, a_ch = compose([root, one])
    p1, c1 = layout(a_cfg, a_ch)
    b_cfg, b_ch = compose([root, one, "benchmark.limit=3"])
    p2, c2 = layout(b_cfg, b_ch)
    assert p1.path == p2.path and c1.path != c2.path  # eval change: same policy, new cell
    m_cfg, m_ch = compose([root, one, "train.learning_rate=0.5"])
    p3, _ = layout(m_cfg, m_ch)
    assert p3.path != p1.path
    t_cfg, t_ch = compose([root, one, "tracking=none"])
    assert layout(t_cfg, t_ch)[1].path == c1.path  # tracking does not change what a cell computes
    assert c1.path.name.startswith("static-tiny-s0-ifeval-")
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})


def test_suite_job_lays_out_one_cell_per_member_sharing_one_policy(tmp_path):
    from harness.cell import member_cells

    root = f"run.root={tmp_path}"
    cfg, ch = compose([root])  # the default toy sweep's job: benchmark=all (six fixtures + toy_heldout)
    members = member_cells(cfg, ch)
    names = [m[1]["benchmark"] for m in members]
    assert names == list(cfg.benchmark.suite) and "toy_heldout" in names
    assert len({m[2].path for m in members}) == 1  # one policy, trained once
    assert layout(cfg, ch)[0].path == members[0][2].path
    cells = [m[3] for m in members]
    assert len({c.path for c in cells}) == len(cells) and len({c.key for c in cells}) == len(cells)
    for n, c in zip(names, cells, strict=True):
        assert c.path.name.startswith(f"static-tiny-s0-{n}-")
    # a member cell is the cell a single-benchmark job with the same settings would write
    one_cfg, one_ch = compose([root, "benchmark=ifeval"])
    assert layout(one_cfg, one_ch)[1].path == cells[names.index("ifeval")].path
    # the held-out benchmark's data is the root config's data
    held = members[names.index("toy_heldout")][0]
    assert held.benchmark.source.path == cfg.data.path and held.benchmark.source.heldout_fraction == 0.25


def test_resume_skips_a_checkpoint_cut_by_preemption(tmp_path):
    """A preemption during a save leaves checkpoint-N without (or with a cut) trainer_state.json,
    which the Trainer writes last: resume from the newest complete one instead of crashing."""
    from harness.train import last_checkpoint

    ckpt = tmp_path / "checkpoints"
    assert last_checkpoint(ckpt) is None  # no folder yet
    for step, state in ((3, '{"global_step": 3}'), (6, '{"global_step": 6}'), (9, None), (12, '{"global_st')):
        d = ckpt / f"checkpoint-{step}"
        d.mkdir(parents=True)
        (d / "model.safetensors").write_bytes(b"x")
        if state is not None:
            (d / "trainer_state.json").write_text(state)
    (ckpt / "checkpoint-final").mkdir()  # not a step: ignored
    assert last_checkpoint(ckpt) == str(ckpt / "checkpoint-6")
