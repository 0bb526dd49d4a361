"""Replay of recorded verdicts: numbers checked against a hand computation on a small case."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.records import verdicts
from harness.tools import replay as R
from harness.tools import replay_report as RR

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "replay"
GRADED = Path(__file__).resolve().parents[3] / "docs" / "results" / "graded" / "records"
EPS = verdicts.EPS

# 3 groups x 2 rollouts x 2 Hard Rules: criterion "a" (level:high) and "b" (level:low)
#   group A: rollout 0 meets a only, rollout 1 both   -> a is flat, b separates
#   group B: rollout 0 meets none, rollout 1 a only   -> a separates, b is flat (unmet)
#   group C: both rollouts meet both                  -> no variance
SCORES = np.array([[[1, 0], [1, 1]], [[0, 0], [1, 0]], [[1, 1], [1, 1]]], dtype=float)
TAGS = (("crit:a", "level:high"), ("crit:b", "level:low"))


def write_case(policy: Path, scores=SCORES, step: int = 1, method: str = "methods.static.Static") -> None:
    b, g, k = scores.shape
    valid = np.ones((b, k), dtype=bool)
    w0 = np.full((b, k), 0.5)
    rewards = scores.mean(axis=2)  # static's reward: the advantages recorded are static's
    frame = verdicts.to_frame(step, 0, ["A", "B", "C"], scores, valid, np.zeros((b, k), dtype=np.int8),
                              [TAGS] * b, w0, w0, np.broadcast_to(w0[:, None, :], scores.shape), rewards,
                              verdicts.advantages(rewards, "group"))
    verdicts.write_step(policy, frame, step, 0)
    (policy / "config.yaml").write_text(f"method:\n  _target_: {method}\ntrain:\n  scale_rewards: group\n")


def focal_weights(s_a: float, s_b: float) -> tuple[float, float]:
    """focal's defaults by hand: saturation (sum + 1) / (n + 2), (1 - s)^2, floor 0.05 mixed with w0 = 1/2."""
    fa, fb = (1 - s_a) ** 2, (1 - s_b) ** 2
    return 0.95 * fa / (fa + fb) + 0.025, 0.95 * fb / (fa + fb) + 0.025


def test_advantages_are_trls_group_normalization():
    adv = verdicts.advantages(np.array([[0.5, 1.0], [0.3, 0.3], [1.0, np.nan]]), "group")
    d = math.sqrt(0.125) + EPS  # std (ddof 1) of {0.5, 1.0}
    assert adv[0] == pytest.approx([-0.25 / d, 0.25 / d])
    assert adv[1] == pytest.approx([0.0, 0.0])  # no variance: 0, not NaN
    assert adv[2, 0] == 0.0 and math.isnan(adv[2, 1])  # an unscorable rollout stays out
    assert verdicts.advantages(np.array([[0.5, 1.0]]), "none")[0] == pytest.approx([-0.25, 0.25])


def test_verdicts_round_trip_trim_and_name_a_damaged_file(tmp_path):
    assert verdicts.read(tmp_path) is None  # records from before verdict recording
    write_case(tmp_path, step=1)
    write_case(tmp_path, step=2)
    df = verdicts.read(tmp_path)
    assert len(df) == 2 * 3 * 2 * 2 and sorted(set(df["step"])) == [1, 2]
    assert df.loc[(df.prompt == "A") & (df.rollout == 0) & (df.criterion == 1), "score"].tolist() == [0.0, 0.0]
    assert [p.name for p in verdicts.trim(tmp_path, 1)] == ["step-000002-00.parquet"]
    assert sorted(set(verdicts.read(tmp_path)["step"])) == [1]
    (tmp_path / "verdicts" / "step-000003-00.parquet").write_text("not parquet")
    with pytest.raises(ValueError, match="step-000003-00.parquet: unreadable verdicts"):
        verdicts.read(tmp_path)


def test_replay_matches_a_hand_computation(tmp_path):
    write_case(tmp_path / "policies" / "static-x-s0-0000000000")
    policies, without = R.load(tmp_path)
    assert without == [] and len(policies) == 1
    clean, _, check = R.replay(policies, ["static", "focal"])
    assert check["static-x-s0-0000000000"] < 1e-6  # replaying static gives the advantages it recorded
    d_static = math.sqrt(0.125) + EPS
    st, fo = clean["static"][0], clean["focal"][0]
    assert st.advantage[0][:2] == pytest.approx(np.array([[-0.25, 0.25], [-0.25, 0.25]]) / d_static)
    # focal: group A saturations a 3/4, b 2/4; group B a 2/4, b 1/4
    wa_A, wb_A = focal_weights(0.75, 0.5)
    wa_B, wb_B = focal_weights(0.5, 0.25)
    assert fo.weights[0][0] == pytest.approx([wa_A, wb_A]) and fo.weights[0][1] == pytest.approx([wa_B, wb_B])
    d_A, d_B = wb_A / math.sqrt(2) + EPS, wa_B / math.sqrt(2) + EPS  # std of rewards {wa, 1} and {0, wa_B}
    assert fo.advantage[0][0] == pytest.approx([-wb_A / 2 / d_A, wb_A / 2 / d_A])
    names, band, rate = RR.labels(policies)
    assert band == {"a": "high", "b": "low"} and rate == pytest.approx({"a": 5 / 6, "b": 3 / 6})
    mass, mult = RR.masses(clean["focal"], names)
    assert mass["b"] == pytest.approx(wb_A / d_A) and mass["a"] == pytest.approx(wa_B / d_B)
    assert mult["b"] == pytest.approx((2 * wb_A + 2 * wb_B + 1) / 3)  # w / w0 over groups A, B, C
    mass_s, mult_s = RR.masses(clean["static"], names)
    assert mass_s["a"] == pytest.approx(mass_s["b"]) and mult_s == {"a": 1.0, "b": 1.0}
    assert RR.flat_share(policies, names) == pytest.approx({"a": 2 / 3, "b": 2 / 3})
    assert RR.no_variance(clean["focal"]) == pytest.approx(1 / 3)
    a_f, a_s = RR.flat_adv(clean["focal"]), RR.flat_adv(clean["static"])
    assert RR.sign_differs(a_f, a_s) == 0.0
    text = RR.render(policies, clean, {}, check, None)
    share_b = mass["b"] / (mass["a"] + mass["b"])
    assert f"{100 * share_b:.1f} %" in text and "| **low**" in text and "33.3 %" in text


def test_stateful_methods_are_replayed_in_order(tmp_path):
    """focal_reference freezes each criterion's saturation at its first sighting: at step 2 its weights
    are still step 1's, while focal (no EMA) follows the new scores."""
    pol = tmp_path / "p"
    write_case(pol, step=1)
    write_case(pol, scores=1.0 - SCORES, step=2)
    policies, _ = R.load(pol)
    clean, _, _ = R.replay(policies, ["focal_reference", "focal"])
    ref, foc = clean["focal_reference"][0], clean["focal"][0]
    assert ref.weights[1] == pytest.approx(ref.weights[0]) and ref.weights[0] == pytest.approx(foc.weights[0])
    assert not np.allclose(foc.weights[1], foc.weights[0])


def test_noise_at_rate_one_flips_every_hard_rule_and_is_seeded(tmp_path):
    write_case(tmp_path / "p")
    (pol,), _ = R.load(tmp_path / "p")
    flipped = R.perturb(pol.steps[0], 1.0, np.random.default_rng(0))
    assert flipped.scores == pytest.approx(1.0 - SCORES)
    clean, noisy, _ = R.replay([pol], ["static"], noise=1.0)
    # every non-zero advantage flips (groups A and B); group C has none either way
    assert RR.sign_differs(RR.flat_adv(clean["static"]), RR.flat_adv(noisy["static"])) == 1.0
    a = R.perturb(pol.steps[0], 0.3, np.random.default_rng([0, 0])).scores
    b = R.perturb(pol.steps[0], 0.3, np.random.default_rng([0, 0])).scores
    assert np.array_equal(a, b)


def test_records_without_verdicts_say_so_in_one_line(capsys):
    assert R.main([str(GRADED), "--method", "static"]) == 1
    out = capsys.readouterr().out
    assert "12 of 12 policies" in out and "have no verdicts (trained before verdict recording)" in out


def test_a_bad_method_name_is_one_clear_line(tmp_path):
    with pytest.raises(SystemExit, match="--method nope: not a conf/method name"):
        R.main([str(tmp_path), "--method", "nope"])


@pytest.mark.skipif(not FIXTURE.is_dir(), reason="fixture not generated")
def test_replay_of_a_recorded_training_run(tmp_path, capsys):
    """The committed fixture: verdicts of a real (tiny) GRPO run. Every registered method replays; the
    method it was trained with reproduces the advantages the trainer recorded."""
    assert R.main([str(FIXTURE), "--noise", "0.2", "--plot", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "check: each policy's own method, replayed, gives its recorded advantages to within" in out
    worst = float(out.split("to within ")[1].split()[0])
    assert worst < 1e-4
    assert "judge noise at rate 0.2" in out and "| focal_reference" in out
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["low_band_by_step.png", "mass_by_band.png",
                                                              "rank_correlation.png"]


def test_export_carries_the_verdicts(tmp_path):
    from harness.records.export import export_records

    pol = tmp_path / "sweep" / "policies" / "static-x-s0-0000000000"
    write_case(pol)
    (pol / "DONE").write_text("0000000000\n")
    export_records(tmp_path / "sweep", tmp_path / "records")
    copied = tmp_path / "records" / "policies" / pol.name
    assert verdicts.read(copied) is not None
    shutil.rmtree(tmp_path / "sweep")
    assert R.load(tmp_path / "records")[0][0].name == pol.name
