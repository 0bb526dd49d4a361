"""POW3R in the bandit testbed, and the testbed's strict-completion column."""

from __future__ import annotations

import numpy as np
import pytest

from harness.tools.simulate import Env, main, train
from methods.pow3r import Pow3r


def test_strict_completion_of_the_initial_policy_by_hand():
    run = train(Pow3r(), seed=3, steps=0, prompts=4, arms=5, group=4, lr=0.5, scenario="tradeoff")
    env = Env.make(np.random.default_rng([3, 0]), 4, 5, "tradeoff")
    expected = (env.probs[:, :, 0] * env.probs[:, :, 1]).mean()  # uniform policy; criteria 0, 1 are the Hard Rules
    assert run.strict == pytest.approx(expected)


@pytest.mark.parametrize("scenario", ["dominant", "tradeoff"])
def test_pow3r_runs_in_both_scenarios_next_to_static_and_focal(scenario, tmp_path, capsys):
    summary = main(["--scenario", scenario, "--seeds", "2", "--steps", "5", "--prompts", "3", "--arms", "4",
                    "--methods", "static", "focal", "pow3r", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "strict completion" in out and any(line.startswith("pow3r ") for line in out.splitlines())
    for name in ("focal", "pow3r"):
        s = summary[name]
        assert 0.0 <= s["strict_completion"][0] <= 1.0
        assert "strict_completion" in s["paired_vs_static"]
