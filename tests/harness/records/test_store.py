"""Run store: atomic writes, markers keyed by config hash, redaction, layout."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest

from harness.cell.run import ensure_policy
from harness.compose import compose_sweep as compose
from harness.records.store import RunDir, atomic_write_json, cell_dirs, config_hash, redact


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


def test_redact_keeps_token_counts_and_tokenizers():
    """``max_new_tokens`` once read ``<redacted>`` in every config.yaml and W&B config."""
    cfg = {"eval": {"max_new_tokens": 64}, "judge": {"max_tokens": 512, "tokenizer": "t/x"},
           "hub": {"hf_token": "hf_abc", "auth_token": "a", "client_secret": "c", "aws_access_key_id": "k"}}
    red = redact(cfg)
    assert red["eval"] == {"max_new_tokens": 64} and red["judge"] == {"max_tokens": 512, "tokenizer": "t/x"}
    assert set(red["hub"].values()) == {"<redacted>"}


def test_layout_shares_policy_across_benchmarks_and_separates_methods(tmp_path):
    root = f"run.root={tmp_path}"
    one = "experiment=smoke"  # a single-benchmark cell
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
    from harness.cell.run import member_cells

    root = f"run.root={tmp_path}"
    cfg, ch = compose([root, "experiment=toy"])  # the main job's: benchmark=toy_suite (fixtures + toy_heldout)
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
    one_cfg, one_ch = compose([root, "experiment=toy", "benchmark=ifeval"])
    assert cell_dirs(one_cfg, one_ch)[1].path == cells[names.index("ifeval")].path
    # the held-out benchmark's data is the root config's data
    held = members[names.index("toy_heldout")][0]
    assert held.benchmark.source.path == cfg.data.path and held.benchmark.source.heldout_fraction == 0.25


def test_resume_skips_a_checkpoint_cut_by_preemption(tmp_path):
    """A preemption during a save leaves checkpoint-N without (or with a cut) trainer_state.json,
    which the Trainer writes last, or without the harness state written just before it: resume
    from the newest complete one instead of crashing or drifting."""
    from harness.cell.resume import drop_incomplete, last_checkpoint

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
    from harness.records.store import MirrorError, read_jsonl, repair_jsonl

    p = tmp_path / "metrics.jsonl"
    assert read_jsonl(p) == []
    p.write_text('{"step": 1}\n{"step": 2}\n{"step": 3, "rew')
    with caplog.at_level("WARNING", logger="harness.records.store"):
        assert read_jsonl(p) == [{"step": 1}, {"step": 2}]
    warned = [r.getMessage() for r in caplog.records if r.name == "harness.records.store"]
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

    from harness.records.store import read_jsonl
    from harness.records.tracking import JsonlMirror

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


def test_a_cut_last_line_is_dropped_with_one_warning_on_resume_and_in_the_report_alike(tmp_path, caplog):
    from harness.records.tracking import JsonlMirror
    from harness.report import load_sweep
    from tests.harness.report.sweep_builder import build_sweep

    def curves(sweep):  # in one order (a rewritten mirror's rows have their keys sorted)
        return load_sweep(sweep).curves.sort_values(["policy", "step", "key"]).reset_index(drop=True)

    sweep = build_sweep(tmp_path / "sweep", scores={("small", "alpha"): {"static": [0.5], "focal": [0.6]}}, seeds=(0,))
    clean = curves(sweep)
    mirror = sorted((sweep / "policies").glob("focal-*/metrics.jsonl"))[0]
    mirror.write_text(mirror.read_text() + '{"phase": "train", "step": 4, "rewards/rubric/me')  # a killed write

    def warnings() -> list[str]:
        out = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        caplog.clear()
        return out

    with caplog.at_level("WARNING"):
        assert curves(sweep).equals(clean)  # the report: same curves, the fragment dropped
        in_report = warnings()
        state = SimpleNamespace(is_world_process_zero=True, global_step=3)
        JsonlMirror(RunDir(mirror.parent, "k")).on_train_begin(None, state, None)  # a resume
        on_resume = warnings()
    assert len(in_report) == 1 and len(on_resume) == 1 and in_report == on_resume
    assert str(mirror) in in_report[0] and "last line cut" in in_report[0] and "\n" not in in_report[0]
    assert mirror.read_text().endswith("}\n") and curves(sweep).equals(clean)  # repaired on resume
    with caplog.at_level("WARNING"):
        load_sweep(sweep)
    assert warnings() == []  # nothing cut any more


def _fake_evaluation(n: int):
    """What ``evals.evaluation.evaluate`` returns, reduced to what ``write_outputs`` reads."""
    samples = [{"id": f"q{i}", "prompt": "p", "response": "r", "scores": [1]} for i in range(n)]
    result = SimpleNamespace(flat=lambda: {"rubric_score": 0.5, "dim/a": 0.25}, samples=samples)
    return SimpleNamespace(result=result, record=lambda: {"score": 0.5, "metrics": result.flat(), "n_items": n})


@pytest.mark.parametrize("force", [False, True])
def test_a_cell_killed_during_evaluation_reruns_into_one_eval_row(tmp_path, force):
    """A kill after the eval row and the samples were written, before result.json: the re-run (a
    new attempt, or run.force) evaluates again and the mirror holds that row once, not twice."""
    from harness.cell.run import _evaluate_cell
    from harness.records.store import read_jsonl
    from harness.records.tracking import write_outputs

    cfg, choices = compose([f"run.root={tmp_path}", "benchmark=toy_heldout", "tracking=none",
                            f"run.force={force}"])
    policy, cell = cell_dirs(cfg, choices)
    ev = _fake_evaluation(3)

    def evaluate(tracker):
        write_outputs(ev, tracker, step=6)
        return ev.record()

    def killed(tracker):
        evaluate(tracker)
        raise KeyboardInterrupt("SIGKILL stand-in: nothing after write_outputs ran")

    with pytest.raises(KeyboardInterrupt):
        _evaluate_cell(cfg, choices, policy, cell, {"steps": 6}, 0.0, killed)
    assert not cell.done() and not cell.result.exists()
    with open(cell.path / "samples.jsonl", "a") as fh:  # the kill also cut a samples line
        fh.write('{"id": "q')
    result = _evaluate_cell(cfg, choices, policy, cell, {"steps": 6}, 0.0, evaluate)
    assert cell.done() and result["score"] == 0.5
    rows = read_jsonl(cell.metrics)
    assert [r["phase"] for r in rows] == ["eval"] and rows[0]["step"] == 6
    assert [s["id"] for s in read_jsonl(cell.path / "samples.jsonl")] == ["q0", "q1", "q2"]


def test_a_finished_policy_without_weights_is_trained_again(tmp_path, monkeypatch, capsys):
    """Records restored without weights: reuse needs the model folder, else the cell retrains."""
    from harness.cell.run import _finished_policy

    monkeypatch.chdir(tmp_path)  # model_path is relative to the run's working folder
    pol = RunDir(tmp_path / "runs" / "s" / "policies" / "p", "k")
    pol.path.mkdir(parents=True)
    atomic_write_json(pol.result.with_name("train_result.json"), {"model_path": "runs/s/policies/p/model", "steps": 3})
    assert _finished_policy(pol) is None
    assert "weights (runs/s/policies/p/model) are gone" in capsys.readouterr().err
    (pol.path / "model").mkdir()
    assert _finished_policy(pol) == {"model_path": "runs/s/policies/p/model", "steps": 3}


@pytest.mark.parametrize("force", [False, True])
def test_a_finished_policy_trained_again_starts_from_step_0(tmp_path, monkeypatch, force):
    """run.force (or weights gone): the finished policy's checkpoints and step mirror go before training,
    so it is not resumed from its final checkpoint (which ran one step past train.max_steps); a policy
    that never finished keeps them and resumes."""
    import harness.cell.train as train

    cfg, choices = compose([f"run.root={tmp_path}", "benchmark=toy_heldout", "tracking=none",
                            f"run.force={force}"])
    policy, _ = cell_dirs(cfg, choices)
    ckpt = policy.path / train.CHECKPOINTS / "checkpoint-2"
    ckpt.mkdir(parents=True)
    policy.log({"phase": "train", "step": 2})
    if force:
        policy.mark_done()
    seen = {}

    def fake_train(job, pol, judge, method, report_to):
        seen.update(checkpoint=ckpt.exists(), mirror=pol.metrics.exists())
        return {"model_path": str(pol.path / "model")}

    monkeypatch.setattr(train, "train_policy", fake_train)
    ensure_policy(cfg, choices, policy, judge=None)
    assert seen == {"checkpoint": not force, "mirror": not force}
    assert policy.done()


def test_recording_leaves_result_then_done_and_a_failed_phase_not_done(tmp_path):
    """``recording``: config.yaml redacted; a failed phase leaves no result and no marker; the next
    attempt (``clear="eval"``) drops the failed one's eval row and leaves result, W&B run, wall time, DONE."""
    from harness.records.store import read_jsonl
    from harness.records.tracking import recording

    cfg = {"run": {"root": str(tmp_path), "sweep": "s"}, "tracking": {"backend": "wandb", "mode": "disabled"},
           "judge": {"api_key": "sk-123"}}
    rd = RunDir(tmp_path / "s" / "cells" / "c", "k")
    opened = dict(name="c", job_type="eval", tags=["seed:0"], run_id="eval-k")
    with pytest.raises(RuntimeError, match="judge down"), recording(rd, cfg, **opened, clear="eval") as rec:
        rec.tracker.log({"score": 0.1}, step=3)
        raise RuntimeError("judge down")
    assert not rd.done() and not rd.result.exists() and [r["score"] for r in read_jsonl(rd.metrics)] == [0.1]
    assert "sk-123" not in (rd.path / "config.yaml").read_text()
    with recording(rd, cfg, **opened, summary=("score",), started=0.0, clear="eval") as rec:
        rec.tracker.log({"score": 0.5}, step=3)
        rec.result = {"score": 0.5}
    saved = json.loads(rd.result.read_text())
    assert rd.done() and saved["score"] == 0.5 and saved["wandb_run"] is None and saved["wall_time_s"] > 0
    assert [r["score"] for r in read_jsonl(rd.metrics)] == [0.5]  # the failed attempt's row went
    with pytest.raises(RuntimeError, match="without a result"), recording(rd, cfg, **opened):
        pass
    assert not rd.done()
