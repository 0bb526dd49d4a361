"""Run store: atomic writes, markers keyed by config hash, redaction, layout."""

from __future__ import annotations

import json
import os

import pytest

from harness.cell import cell_dirs
from harness.store import RunDir, atomic_write_json, config_hash, redact
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
    p1, c1 = cell_dirs(a_cfg, a_ch)
    b_cfg, b_ch = compose([root, one, "benchmark.limit=3"])
    p2, c2 = cell_dirs(b_cfg, b_ch)
    assert p1.path == p2.path and c1.path != c2.path  # eval change: same policy, new cell
    m_cfg, m_ch = compose([root, one, "train.learning_rate=0.5"])
    p3, _ = cell_dirs(m_cfg, m_ch)
    assert p3.path != p1.path
    t_cfg, t_ch = compose([root, one, "tracking=none"])
    assert cell_dirs(t_cfg, t_ch)[1].path == c1.path  # tracking does not change what a cell computes
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
    assert cell_dirs(cfg, ch)[0].path == members[0][2].path
    cells = [m[3] for m in members]
    assert len({c.path for c in cells}) == len(cells) and len({c.key for c in cells}) == len(cells)
    for n, c in zip(names, cells, strict=True):
        assert c.path.name.startswith(f"static-tiny-s0-{n}-")
    # a member cell is the cell a single-benchmark job with the same settings would write
    one_cfg, one_ch = compose([root, "benchmark=ifeval"])
    assert cell_dirs(one_cfg, one_ch)[1].path == cells[names.index("ifeval")].path
    # the held-out benchmark's data is the root config's data
    held = members[names.index("toy_heldout")][0]
    assert held.benchmark.source.path == cfg.data.path and held.benchmark.source.heldout_fraction == 0.25


def test_resume_skips_a_checkpoint_cut_by_preemption(tmp_path):
    """A preemption during a save leaves checkpoint-N without (or with a cut) trainer_state.json,
    which the Trainer writes last, or without the harness state written just before it: resume
    from the newest complete one instead of crashing or drifting."""
    from harness.train import drop_incomplete, last_checkpoint

    ckpt = tmp_path / "checkpoints"
    assert last_checkpoint(ckpt) is None  # no folder yet
    cases = ((3, '{"global_step": 3}', "{}"), (6, '{"global_step": 6}', '{"version": 1}'), (9, None, "{}"),
             (12, '{"global_st', "{}"), (15, '{"global_step": 15}', None), (18, '{"global_step": 18}', '{"ver'))
    for step, state, harness in cases:
        d = ckpt / f"checkpoint-{step}"
        d.mkdir(parents=True)
        (d / "model.safetensors").write_bytes(b"x")
        if harness is not None:
            (d / "harness_state.json").write_text(harness)
        if state is not None:
            (d / "trainer_state.json").write_text(state)
    (ckpt / "checkpoint-final").mkdir()  # not a step: ignored
    assert last_checkpoint(ckpt, world_size=1) == str(ckpt / "checkpoint-6")
    # two processes: rank 1's state is missing everywhere, so nothing is complete
    assert last_checkpoint(ckpt, world_size=2) is None
    (ckpt / "checkpoint-3" / "harness_state_1.json").write_text("{}")
    assert last_checkpoint(ckpt, world_size=2) == str(ckpt / "checkpoint-3")

    # the cut saves newer than the resume point go (the Trainer's rotation would count them as newest)
    gone = drop_incomplete(ckpt, last_checkpoint(ckpt, world_size=1))
    assert sorted(p.name for p in gone) == ["checkpoint-12", "checkpoint-15", "checkpoint-18", "checkpoint-9"]
    assert sorted(p.name for p in ckpt.iterdir()) == ["checkpoint-3", "checkpoint-6", "checkpoint-final"]
    drop_incomplete(ckpt, None)  # nothing to resume from: every numbered checkpoint goes
    assert sorted(p.name for p in ckpt.iterdir()) == ["checkpoint-final"]


def test_mirror_reader_drops_a_cut_last_line_with_one_warning(tmp_path, caplog):
    from harness.store import MirrorError, read_jsonl, repair_jsonl

    p = tmp_path / "metrics.jsonl"
    assert read_jsonl(p) == []
    p.write_text('{"step": 1}\n{"step": 2}\n{"step": 3, "rew')
    with caplog.at_level("WARNING", logger="harness.store"):
        assert read_jsonl(p) == [{"step": 1}, {"step": 2}]
    warned = [r.getMessage() for r in caplog.records if r.name == "harness.store"]
    assert len(warned) == 1 and str(p) in warned[0] and "last line cut" in warned[0]
    assert p.read_text().endswith('"rew')  # reading never rewrites

    # before appending again (a resume), the fragment is removed from the file too
    assert repair_jsonl(p) == [{"step": 1}, {"step": 2}]
    assert p.read_text() == '{"step": 1}\n{"step": 2}\n'

    # a bad line that is not the last is damage, not a kill: file and line named
    p.write_text('{"step": 1}\n{"st\n{"step": 3}\n')
    with pytest.raises(MirrorError, match=r"metrics.jsonl:2: "):
        read_jsonl(p)


def test_policy_mirror_on_resume_drops_the_cut_line_and_steps_past_the_checkpoint(tmp_path):
    from types import SimpleNamespace

    from harness.store import read_jsonl
    from harness.tracking import JsonlMirror

    d = RunDir(tmp_path / "policy", "k")
    d.path.mkdir()
    rows = [{"phase": "train", "step": s} for s in (1, 2, 3, 4)] + [{"phase": "train_summary", "step": 4}]
    d.metrics.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"phase": "train", "st')
    state = SimpleNamespace(is_world_process_zero=True, global_step=2)
    JsonlMirror(d).on_train_begin(None, state, None)
    assert read_jsonl(d.metrics) == [{"phase": "train", "step": 1}, {"phase": "train", "step": 2}]
    assert d.metrics.read_text().endswith("}\n")
    JsonlMirror(d).on_log(None, state, None, logs={"loss": 0.5})
    assert [r["step"] for r in read_jsonl(d.metrics)] == [1, 2, 2]
