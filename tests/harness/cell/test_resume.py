"""Resume equivalence: a training run SIGKILLed after a checkpoint and started again ends with the
same per-step metrics and the same final weights as an uninterrupted run with the same seed."""

from __future__ import annotations

import json

import pytest

from tests.support.resume_util import (
    cell_overrides,
    kill_after_checkpoint,
    mirror_differences,
    policy_dir,
    run_in_process,
    train_rows,
    weight_differences,
)

# the cell, smaller: 6 training prompts, 2 per step, so an epoch is 3 steps
BASE = ["data.limit=8", "train.max_steps=6", "train.save_steps=2", "benchmark=toy_heldout",
        "benchmark.limit=2", "eval.max_new_tokens=8", "tracking=none"]

# (case, overrides, checkpoint after which the run is killed); a static mid-epoch kill is the focal
# and LoRA cases' kill without their state; focal's EMA mode keeps its state where the reference mode
# does (its state dict, round-tripped in tests/methods/test_methods_focal.py), so one focal mode is killed here
CASES = [
    ("static-epoch-boundary", ["method=static", "train.save_steps=3"], 3),  # the case: an epoch start
    ("focal-reference", ["method=focal", "method.mode=reference"], 4),
    # one generation feeds two optimizer steps; checkpoint-3 falls inside a generation block
    ("static-mid-generation", ["method=static", "train.num_iterations=2", "train.save_steps=3"], 3),
    # LoRA: the checkpoint holds the adapter and its optimizer; the final weights compared are merged
    ("lora-mid-epoch", ["method=static", "peft=lora", "train.learning_rate=1e-2"], 4),
]


def test_sampler_order_depends_on_seed_and_epoch_only():
    """A resumed trainer builds a new sampler: epoch e must still get the e-th permutation that
    TRL's sampler, iterated from epoch 0, would have drawn (TRL's gives a new one permutation 0)."""
    from trl.trainer.utils import RepeatSampler

    from harness.cell.resume import EpochRepeatSampler

    kw = dict(data_source=list(range(10)), mini_repeat_count=2, batch_size=2, repeat_count=1, seed=7)
    trl_sampler = RepeatSampler(**kw)
    uninterrupted = [list(trl_sampler) for _ in range(4)]
    assert len({tuple(e) for e in uninterrupted}) == 4  # the order really changes per epoch

    ours = EpochRepeatSampler(**kw)
    for epoch in range(4):
        ours.set_epoch(epoch)
        assert list(ours) == uninterrupted[epoch]
    for epoch in (3, 1, 2):  # a fresh one (a resume) jumping straight to an epoch
        fresh = EpochRepeatSampler(**kw)
        fresh.set_epoch(epoch)
        assert list(fresh) == uninterrupted[epoch]
    assert list(RepeatSampler(**kw)) == uninterrupted[0] != uninterrupted[2]  # TRL's resume: permutation 0


@pytest.mark.slow
@pytest.mark.parametrize(("case", "overrides", "kill_after"), CASES, ids=[c[0] for c in CASES])
def test_killed_run_resumes_into_the_uninterrupted_run(tmp_path, tiny_cache, case, overrides, kill_after):
    ref_root, root = tmp_path / "uninterrupted", tmp_path / "killed"
    run_in_process(cell_overrides(ref_root, tiny_cache, [*BASE, *overrides]))

    cell = cell_overrides(root, tiny_cache, [*BASE, *overrides])
    out = kill_after_checkpoint(cell, root, tiny_cache, kill_after, tmp_path / "killed.log")
    assert out.killed, f"the run ended (rc {out.returncode}) before checkpoint-{kill_after}:\n{out.log[-3000:]}"
    policy = policy_dir(root)
    assert not (policy / "DONE").exists()
    state = json.loads((policy / "checkpoints" / f"checkpoint-{kill_after}" / "harness_state.json").read_text())
    if "focal" in case:  # the method's cross-step state went into the checkpoint
        assert state["method"]["state"]

    result = run_in_process(cell)
    assert result["train"]["resumed_from"] is not None
    assert int(result["train"]["resumed_from"].rsplit("-", 1)[1]) >= kill_after

    ref, got = train_rows(policy_dir(ref_root)), train_rows(policy)
    assert [r["step"] for r in got] == list(range(1, 7))  # every step exactly once
    assert mirror_differences(ref, got) == []
    assert weight_differences(policy_dir(ref_root), policy) == []
    # the per-step verdicts too: each step once (the killed attempt's later steps dropped), the same values
    import pandas as pd

    from harness.records import verdicts

    ref_v, got_v = verdicts.read(policy_dir(ref_root)), verdicts.read(policy)
    assert not got_v.duplicated(["step", "call", "prompt", "rollout", "criterion"]).any()
    pd.testing.assert_frame_equal(ref_v, got_v, check_exact=False, rtol=1e-5)
