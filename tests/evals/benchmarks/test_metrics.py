"""The official metrics (each benchmark folder's metrics.py) against hand-computed values, including the edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evals.benchmarks.alpaca_eval import metrics as ae
from evals.benchmarks.arena_hard import metrics as ah
from evals.benchmarks.healthbench import metrics as hb
from evals.benchmarks.ifeval import metrics as ife
from evals.benchmarks.infobench import metrics as ib
from evals.benchmarks.writingbench import metrics as wb
from evals.judges import rules

# ----------------------------------------------------------------------------- HealthBench


def test_healthbench_example_score_signed_points():
    # met: +10, +3 and the -8 pitfall; missed +6 -> (10 + 3 - 8) / (10 + 6 + 3)
    assert hb.healthbench_example_score([10, 6, 3, -8], [True, False, True, True]) == pytest.approx(5 / 19)
    # pitfall not met: no deduction
    assert hb.healthbench_example_score([10, -8], [True, False]) == pytest.approx(1.0)
    # a met pitfall can push the example below zero (clipping happens only after averaging)
    assert hb.healthbench_example_score([2, -8], [False, True]) == pytest.approx(-4.0)


def test_healthbench_only_negative_rubric_is_undefined_not_a_division_by_zero():
    assert hb.healthbench_example_score([-5, -3], [True, False]) is None
    assert hb.healthbench_example_score([-5, -3], [False, False]) is None


def test_healthbench_unscorable_criterion_left_out():
    assert hb.healthbench_example_score([10, 5], [None, True]) == pytest.approx(1.0)
    assert hb.healthbench_example_score([10, -5], [None, True]) is None  # no scorable positive points


def test_healthbench_overall_clipped_mean_and_bootstrap():
    out = hb.healthbench_overall([None, 0.5, -0.2])  # None (only pitfalls) is left out of the mean
    assert out["overall_score"] == pytest.approx(0.15)
    assert out["n_scored"] == 2
    assert hb.healthbench_overall([-0.5, -0.1])["overall_score"] == 0.0
    assert hb.healthbench_overall([1.5, 1.0])["overall_score"] == 1.0
    assert hb.healthbench_overall([0.4, 0.4, 0.4])["overall_score_bootstrap_std"] == pytest.approx(0.0, abs=1e-12)
    assert hb.healthbench_overall([0.0, 1.0] * 10)["overall_score_bootstrap_std"] > 0.0
    with pytest.raises(ValueError, match="no example has a defined score"):
        hb.healthbench_overall([None, None])
    with pytest.raises(ValueError, match="empty"):
        hb.healthbench_overall([])


def test_healthbench_tag_scores_by_axis_and_theme():
    points = [[10, -5], [4, 6]]
    met = [[True, True], [False, True]]
    ctags = [[["axis:a"], ["axis:b"]], [["axis:a"], ["axis:b"]]]
    etags = [["theme:x"], ["theme:x", "theme:y"]]
    got = hb.healthbench_tag_scores(points, met, ctags, etags)
    # examples: (10 - 5) / 10 = 0.5 and 6 / 10 = 0.6
    assert got["theme:x"] == pytest.approx(0.55)
    assert got["theme:y"] == pytest.approx(0.6)
    # axis:a: 10/10 and 0/4 -> 0.5; axis:b: example 1 has only a pitfall (undefined), example 2 6/6
    assert got["axis:a"] == pytest.approx(0.5)
    assert got["axis:b"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="different lengths"):
        hb.healthbench_tag_scores(points, met[:1], ctags, etags)


def test_healthbench_length_mismatch():
    with pytest.raises(ValueError, match="points for"):
        hb.healthbench_example_score([1, 2], [True])


# ----------------------------------------------------------------------------- WritingBench


def test_writingbench_mean_of_query_means():
    assert wb.writingbench_score([[8, 6, None], [10, 1]]) == pytest.approx((7 + 5.5) / 2)
    assert wb.writingbench_query_score([None, None]) is None
    assert wb.to_writingbench_scale(0) == 1 and wb.to_writingbench_scale(7) == 7 and wb.to_writingbench_scale(None) is None
    with pytest.raises(ValueError, match="outside 1-10"):
        wb.writingbench_query_score([11])
    with pytest.raises(ValueError, match="empty"):
        wb.writingbench_score([])
    with pytest.raises(ValueError, match="None"):
        wb.writingbench_score([[None]])


# ----------------------------------------------------------------------------- Arena-Hard


@pytest.mark.parametrize(("margin", "verdict"), [
    (0.0, "A=B"), (0.049, "A=B"), (-0.049, "A=B"), (0.05, "A>B"), (0.1, "A>B"), (-0.1, "B>A"),
    (0.3, "A>>B"), (0.5, "A>>B"), (-0.3, "B>>A"), (-1.0, "B>>A"),
])
def test_verdict_thresholds(margin, verdict):
    assert ah.verdict_from_margin(margin, tie=0.05, strong=0.3) == verdict


def test_verdict_rejects_nan_and_bad_thresholds():
    with pytest.raises(ValueError, match="NaN"):
        ah.verdict_from_margin(float("nan"))
    with pytest.raises(ValueError):
        ah.verdict_from_margin(0.1, tie=0.5, strong=0.3)


def test_arena_battle_scores_both_positions_and_weights():
    # game 1: baseline is A; "B>A" = model wins -> 1; game 2: model is A; "A>B" -> 1
    assert ah.arena_battle_scores("B>A", "A>B") == [1.0, 1.0]
    # game 2 a tie, game 1 a strong baseline win (3 battles lost)
    assert ah.arena_battle_scores("A>>B", "A=B") == [0.5, 0.0, 0.0, 0.0]
    assert ah.arena_battle_scores("A=B", "B>>A", weight=1) == [0.0, 0.5]
    with pytest.raises(ValueError, match="unknown verdict"):
        ah.arena_battle_scores("A>>>B", "A=B")


def test_bt_two_players_equals_mean_score():
    # with two players the Bradley-Terry MLE reproduces the mean battle score
    assert ah.bt_win_rate([1, 1, 0, 0.5]) == pytest.approx(0.625, abs=1e-4)
    assert ah.bt_win_rate([0.5, 0.5]) == pytest.approx(0.5, abs=1e-6)
    assert ah.bt_win_rate([1, 1, 1]) == 1.0
    assert ah.bt_win_rate([0, 0]) == 0.0


def test_bt_ratings_in_elo_units_anchored_on_baseline():
    r = ah.bradley_terry([("m", "b", 1.0)] * 3 + [("m", "b", 0.0)], anchor="b")
    assert r["b"] == pytest.approx(1000.0)
    assert r["m"] - r["b"] == pytest.approx(400 * math.log10(3), abs=0.1)  # p = 0.75
    assert ah.win_rate_from_ratings(r["m"], r["b"]) == pytest.approx(0.75, abs=1e-4)


def test_bt_errors():
    with pytest.raises(ValueError, match="empty"):
        ah.bt_win_rate([])
    with pytest.raises(ValueError, match="two distinct"):
        ah.bradley_terry([("a", "a", 1.0)])
    with pytest.raises(ValueError, match="outside"):
        ah.bradley_terry([("a", "b", 2.0)])


def test_bt_bootstrap_ci_brackets_estimate_and_is_deterministic():
    per_q = [[1.0, 1.0], [0.0, 0.5], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0, 1.0, 1.0]]
    a = ah.bt_win_rate_ci(per_q, n_bootstrap=50, seed=1)
    b = ah.bt_win_rate_ci(per_q, n_bootstrap=50, seed=1)
    assert a == b
    assert a["ci_low"] <= a["win_rate"] <= a["ci_high"]
    flat = [s for q in per_q for s in q]
    assert a["win_rate"] == pytest.approx(np.mean(flat), abs=1e-4)
    tie = ah.bt_win_rate_ci([[0.5, 0.5]] * 4, n_bootstrap=20)
    assert tie["ci_low"] == pytest.approx(0.5, abs=1e-6) and tie["ci_high"] == pytest.approx(0.5, abs=1e-6)


# ----------------------------------------------------------------------------- AlpacaEval


def test_win_rate_ties_count_half():
    assert ae.win_rate([1, 0, 0.5, 1]) == pytest.approx(62.5)
    assert ae.preference_from_margin(0.01) == 0.5 and ae.preference_from_margin(0.2) == 1.0
    assert ae.preference_from_margin(-0.2) == 0.0
    with pytest.raises(ValueError, match="empty"):
        ae.win_rate([])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ae.win_rate([1.5])


def test_lc_equal_lengths_equals_raw_win_rate():
    # enough instructions that the package's L1 cross-validation keeps the intercept (on 6 it shrinks it to 0)
    prefs = [1, 0, 0.5, 1, 1, 0] * 10
    lc = ae.length_controlled_win_rate(prefs, [100] * 60, [100] * 60)
    assert lc == pytest.approx(ae.win_rate(prefs), abs=0.5)


def test_lc_removes_a_pure_length_effect():
    # longer answers always win, the model is as often longer as shorter: model identity term 0 -> 50
    prefs = [1, 0] * 5
    lc = ae.length_controlled_win_rate(prefs, [150, 50] * 5, [100] * 10)
    assert lc == pytest.approx(50.0, abs=0.5)


def test_lc_discounts_wins_bought_by_length():
    # the model is mostly longer and wins exactly when longer: LC falls below the raw win rate
    prefs = [1, 1, 1, 0, 1, 1, 0, 0]
    mlen = [200, 200, 200, 50, 200, 200, 50, 200]
    lc = ae.length_controlled_win_rate(prefs, mlen, [100] * 8)
    assert lc < ae.win_rate(prefs)


def test_lc_edge_cases():
    assert ae.length_controlled_win_rate([1, 1], [10, 20], [5, 5]) == 100.0
    assert ae.length_controlled_win_rate([0, 0], [10, 20], [5, 5]) == 0.0
    with pytest.raises(ValueError, match="empty"):
        ae.length_controlled_win_rate([], [], [])
    with pytest.raises(ValueError, match="differ in length"):
        ae.length_controlled_win_rate([1, 0], [1], [1, 2])
    with pytest.raises(ValueError, match="difficulty"):
        ae.length_controlled_win_rate([1, 0], [1, 2], [1, 2], instruction_difficulty=[0.1])
    # with a difficulty column the fit still runs and stays a percentage
    v = ae.length_controlled_win_rate([1, 0, 0.5, 1], [10, 20, 30, 40], [20] * 4, [0.1, -0.2, 0.3, 0.0])
    assert 0.0 <= v <= 100.0


# ----------------------------------------------------------------------------- IFEval / InFoBench


def test_ifeval_accuracies():
    v = [[True, True], [True, False]]
    assert ife.prompt_level_accuracy(v) == 0.5
    assert ife.instruction_level_accuracy(v) == 0.75
    with pytest.raises(ValueError, match="empty"):
        ife.prompt_level_accuracy([])
    with pytest.raises(ValueError):
        ife.prompt_level_accuracy([[]])


def test_ifeval_loose_variants_match_lm_eval():
    v = rules.ifeval_loose_variants("**Title**\nbody\nend")
    assert v == ["**Title**\nbody\nend", "Title\nbody\nend", "body\nend", "**Title**\nbody", "body",
                 "body\nend", "Title\nbody", "body"]


def test_ifeval_loose_check_passes_where_strict_fails():
    from evals.judges.rules import ifeval_check, ifeval_loose_check

    r = "Sure, here it is:\nno commas in this line"
    assert not ifeval_check("punctuation:no_comma", {}, r)
    assert ifeval_loose_check("punctuation:no_comma", {}, r)
    assert not ifeval_loose_check("punctuation:no_comma", {}, "a, b\nc, d\ne, f")


def test_drfr():
    assert ib.drfr([[True, False, True], [True]]) == 0.75
    assert ib.drfr([[True, None], [False]]) == 0.5
    with pytest.raises(ValueError, match="empty"):
        ib.drfr([])
    with pytest.raises(ValueError, match="no scorable"):
        ib.drfr([[None]])
