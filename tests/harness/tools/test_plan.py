"""The planner and the group-sequential boundaries, against published values and independent computations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from harness.report import sequential as S
from harness.tools import plan as P

GRADED = Path(__file__).resolve().parents[3] / "docs" / "results" / "graded" / "records"


@pytest.mark.parametrize(("looks", "published"), [
    (3, [3.471, 2.454, 2.004]),  # Jennison & Turnbull (2000) table 2.3: C_B(3, 0.05) = 2.004
    (5, [4.562, 3.226, 2.634, 2.281, 2.040]),  # C_B(5, 0.05) = 2.040
])
def test_classical_obrien_fleming_bounds_match_published_values(looks, published):
    t = [(k + 1) / looks for k in range(looks)]
    assert S.efficacy_bounds(t, 0.05, "obf") == pytest.approx(published, abs=1e-3)


@pytest.mark.parametrize(("looks", "published"), [
    (3, [3.7103, 2.5114, 1.9930]),  # gsDesign::gsDesign(k=3, test.type=2, sfu=sfLDOF), alpha 0.025 a side
    (5, [4.8769, 3.3569, 2.6803, 2.2898, 2.0310]),
])
def test_lan_demets_obf_spending_bounds_match_gsdesign(looks, published):
    t = [(k + 1) / looks for k in range(looks)]
    assert S.efficacy_bounds(t, 0.05, "ld-obf") == pytest.approx(published, abs=2e-4)


def test_one_look_is_the_fixed_test_and_the_level_holds_by_an_independent_computation():
    assert S.efficacy_bounds([1.0]) == pytest.approx([stats.norm.ppf(0.975)])
    t = np.array([8, 14, 20]) / 20  # unequal looks: what spending functions are for
    c = np.array(S.efficacy_bounds(t))
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))  # corr(Z_j, Z_k) = sqrt(t_j / t_k)
    inside = stats.multivariate_normal(cov=cov).cdf(c, lower_limit=-c, rng=np.random.default_rng(0))
    assert 1 - inside == pytest.approx(0.05, abs=2e-4)
    spent = S.boundaries(t).spent
    assert spent[0] == pytest.approx(S.ld_obf_spent(0.4, 0.05), rel=1e-6) and spent[-1] == pytest.approx(0.05)


def test_futility_spends_beta_under_the_planned_effect():
    t = [1 / 3, 2 / 3, 1.0]
    b = S.boundaries(t, theta=2.8, beta=0.2)
    assert math.isnan(b.futility[-1]) and b.futility[0] < b.futility[1] < b.efficacy[1]
    # first look in closed form: P(Z_1 <= f_1) under drift theta is Phi(f_1 - theta sqrt(t_1))
    beta_1 = 2 - 2 * stats.norm.cdf(stats.norm.ppf(0.9) / math.sqrt(t[0]))
    assert stats.norm.cdf(b.futility[0] - 2.8 * math.sqrt(t[0])) == pytest.approx(beta_1, rel=1e-6)
    assert b.efficacy == S.boundaries(t).efficacy  # non-binding: efficacy bounds ignore futility


def test_inflation_of_obrien_fleming_matches_the_published_ratio():
    t = [1 / 3, 2 / 3, 1.0]
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    ratio = (S.drift_for_power(t, S.efficacy_bounds(t, 0.05, "obf")) / z) ** 2
    assert ratio == pytest.approx(1.017, abs=1e-3)  # Jennison & Turnbull table 2.4: R_B(3, 0.05, 0.2)


def test_decisions_at_each_look():
    b = S.boundaries([1 / 3, 2 / 3, 1.0], theta=2.8)
    assert S.decide(3.8, 0, b) == "stop: detected" and S.decide(-3.8, 0, b) == "stop: detected"
    assert S.decide(1.0, 0, b) == "continue"
    assert S.decide(b.futility[1] - 0.01, 1, b) == "stop: futility (non-binding)"
    assert S.decide(1.5, 2, b) == "stop: not detected" and S.decide(2.0, 2, b) == "stop: detected"
    assert S.look_of(7, [8, 14, 20]) is None and S.look_of(15, [8, 14, 20]) == 1 and S.look_of(30, [8, 14, 20]) == 2


def test_paired_and_welch_tests_by_hand():
    t = S.run_test({0: 1.0, 1: 2.0, 2: 4.0, 3: 9.0}, {0: 0.0, 1: 1.0, 2: 2.0}, "paired")
    # differences 1, 1, 2 (seed 3 has no pair): mean 4/3, sd 1/sqrt(3), t = (4/3) / (sd / sqrt 3) = 4 on 2 df
    assert (t.n, t.delta, t.t, t.df) == (3, pytest.approx(4 / 3), pytest.approx(4.0), 2.0)
    assert t.p == pytest.approx(2 * stats.t.sf(4.0, 2)) and t.z == pytest.approx(stats.norm.isf(stats.t.sf(4.0, 2)))
    w = S.run_test([1.0, 2.0, 4.0], [0.0, 1.0, 2.0], "unpaired")
    assert w.p == pytest.approx(stats.ttest_ind([1, 2, 4], [0, 1, 2], equal_var=False).pvalue)


def test_power_of_the_paired_t_and_of_welch():
    assert P.power_paired(1.0, 1.0, 10) == pytest.approx(0.8031, abs=1e-3)  # d = 1, n = 10 (G*Power)
    assert P.smallest_n(lambda n: P.power_paired(1.0, 1.0, n), 0.8) == 10
    # equal spreads: Welch's power is close to the pooled t's, and below it at small n
    pooled = stats.nct.sf(stats.t.ppf(0.975, 18), 18, 1.5 / math.sqrt(2 / 10))
    assert P.power_welch(1.5, 1.0, 1.0, 10, sims=20_000) == pytest.approx(pooled, abs=0.02)
    assert P.power_welch(1.0, 0.3, 0.3, 3, sims=20_000) < P.power_paired(1.0, 0.3 * math.sqrt(2), 3) + 0.2
    assert P.mde_paired(1.0, 10) == pytest.approx(1.0, abs=0.01)


def test_plan_cli_on_the_committed_graded_records(capsys):
    assert P.main([str(GRADED), "--benchmark", "toy_heldout", "--metric", "dim/level:low", "--delta", "0.05",
                   "--looks", "8,14,20", "--sims", "2000"]) == 0
    out = capsys.readouterr().out
    assert "| 3 " in out and "SD of paired differences" in out  # the 3 seeds every arm shares
    assert "group-sequential at difference 0.05" in out and "| 1      | 8 " in out
    assert "stop when |z| >= the bound" in out


def test_plan_refuses_a_missing_metric_in_one_line():
    with pytest.raises(SystemExit, match="plan: no metric 'nope' in the records"):
        P.main([str(GRADED), "--benchmark", "toy_heldout", "--metric", "nope"])


def test_macro_averaged_outcomes_and_a_conservative_sd():
    import pandas as pd

    cells = pd.DataFrame({"a": [0.2, 0.4], "b": [0.6, np.nan]})
    assert S.metric_column(cells, "mean:a,b").tolist()[0] == pytest.approx(0.4)
    assert math.isnan(S.metric_column(cells, "mean:a,b").tolist()[1])  # a missing part is not averaged away
    assert S.metric_column(cells, "mean:a,nope") is None and S.metric_column(cells, "nope") is None
    # the upper 80 % bound of an SD from 3 values: s * sqrt(2 / chi2_{0.2, 2})
    assert P.sd_bound(1.0, 3, 0.8) == pytest.approx(math.sqrt(2 / stats.chi2.ppf(0.2, 2)))
    assert P.sd_bound(1.0, 3, None) == 1.0
