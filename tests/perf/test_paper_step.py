"""perf/paper_step.py's arithmetic: the warm-up step is left out, the judge's cumulative request
counter becomes requests per step, and the ratios are the ones the table states."""

from __future__ import annotations

import pytest

from perf.paper_step import arm_summary, ratios, render


def row(step: int, judge: float, step_s: float, requests: float) -> dict:
    return {"phase": "train", "step": step, "timing/generation_s": 1.0, "timing/judge_s": judge,
            "timing/aggregation_s": 0.0, "timing/optimizer_s": 0.5, "timing/other_s": step_s - 1.5 - judge,
            "timing/step_s": step_s, "judge/requests": requests, "completions/mean_length": 40.0}


def test_warmup_is_left_out_and_requests_are_per_step():
    # step 1 is slow (warm-up) and its counter includes 3 requests made before; then 4 and 6 a step
    s = arm_summary([row(3, 2.0, 6.0, 13.0), row(1, 9.0, 30.0, 3.0), row(2, 2.0, 4.0, 7.0)], warmup=1)
    assert s["steps"] == 2 and s["step"] == pytest.approx(5.0) and s["judge"] == pytest.approx(2.0)
    assert s["requests"] == pytest.approx(5.0) and s["judge_share"] == pytest.approx(0.4)
    assert arm_summary([row(1, 1.0, 4.0, 4.0)], warmup=0)["requests"] == 4.0
    with pytest.raises(SystemExit):
        arm_summary([row(1, 1.0, 4.0, 4.0)], warmup=1)


def test_ratios_and_table():
    arms = {"llm judge": arm_summary([row(1, 6.0, 10.0, 4.0)], 0),
            "rules judge": arm_summary([row(1, 0.1, 4.1, 4.0)], 0),
            "bare TRL": arm_summary([row(1, 0.1, 4.0, 4.0)], 0)}
    got = {what: v for what, v, _ in ratios(arms)}
    assert got["judge share of the step, llm judge"] == pytest.approx(0.6)
    assert got["llm judge step / rules judge step"] == pytest.approx(10.0 / 4.1)
    assert got["llm / rules step without the judge"] == pytest.approx(1.0)
    assert got["harness overhead: rules judge step / bare TRL step"] == pytest.approx(4.1 / 4.0)
    text = render(arms, steps=1, warmup=0, repeats=1)
    assert "| 1.02 " in text and "meets the 1.05x goal" in text and "60.0 %" in text


def test_ratios_of_the_arms_that_ran():
    arms = {"rules judge": arm_summary([row(1, 0.1, 4.1, 4.0)], 0), "bare TRL": arm_summary([row(1, 0.1, 4.0, 4.0)], 0)}
    got = {what: v for what, v, _ in ratios(arms)}
    assert set(got) == {"judge share of the step, rules judge", "harness overhead: rules judge step / bare TRL step"}
    assert "misses the 1.05x goal" not in render(arms, steps=1, warmup=0, repeats=1)


def test_the_figure_draws_every_arm(tmp_path):
    from perf.paper_step import plot

    arms = {"llm judge": arm_summary([row(1, 6.0, 10.0, 4.0)], 0), "bare TRL": arm_summary([row(1, 0.1, 4.0, 4.0)], 0)}
    plot(arms, tmp_path / "fig" / "step.png")
    assert (tmp_path / "fig" / "step.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
