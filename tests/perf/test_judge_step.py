"""perf/judge_step.py's arithmetic: the physical limit from the step's tokens and the server's rates,
and the targets the table states."""

from __future__ import annotations

import pytest

from perf.judge_step import render


def arm(judge: float, step: float, requests: float, prompt: float, completion: float, prefill: float,
        decode: float, valid: float) -> dict[str, float]:
    every = prompt / prefill + completion / decode
    return {"step": step, "judge": judge, "judge_share": judge / step, "step_requests": requests,
            "step_prompt_tokens": prompt, "step_completion_tokens": completion, "valid": valid,
            "prefill": prefill, "decode": decode, "limit_every": every + 5.0, "limit": every}


def test_the_limit_with_the_shared_part_once_per_group():
    from perf.judge_step import limits

    # 4 requests of 500 prompt tokens, groups of 2, rollouts of 50 tokens: the 2 followers add 50 each,
    # so 1100 tokens to prefill at 100/s (11 s) instead of 2000 (20 s); 100 completion tokens at 10/s (10 s)
    s = {"step_prompt_tokens": 2000.0, "step_requests": 4.0, "tokens": 50.0, "prefill": 100.0,
         "step_completion_tokens": 100.0, "decode": 10.0}
    assert limits(s, 2) == pytest.approx((30.0, 21.0))
    assert limits(s, 1) == pytest.approx((30.0, 30.0))  # no group: nothing shared


def test_the_table_states_the_limit_and_the_targets():
    # llama.cpp: 4 requests, 2000 prompt tokens at 400/s (5 s) + 400 completion tokens at 20/s (20 s):
    # limit 25 s, judge 40 s (1.6x: misses), 80 % of the step; vLLM: limit 10 s, judge 12 s (1.2x: meets),
    # 40 % of its step; requests/s 4/12 vs 4/40: 3.33x
    results = {"llama.cpp": arm(40.0, 50.0, 4, 2000, 400, 400, 20, 0.5),
               "vLLM": arm(12.0, 30.0, 4, 2000, 400, 1000, 50, 0.75)}
    assert results["llama.cpp"]["limit"] == pytest.approx(25.0)
    text = render(results, {"llama.cpp": "judge=local", "vLLM": "judge=vllm"}, steps=3, warmup=1)
    assert "| 25.0 " in text and "| 1.60 " in text and "1.60 (misses <= 1.3)" in text
    assert "1.20 (meets <= 1.3)" in text and "80 % (misses <= 50 %)" in text and "40 % (meets <= 50 %)" in text
    assert "judge s 0.30x" in text and "requests/s 3.33x at valid 75 % vs 50 %" in text
    assert "steps 2-3 of each run" in text


def test_one_arm_has_no_comparison_row():
    text = render({"vLLM": arm(12.0, 30.0, 4, 2000, 400, 1000, 50, 1.0)}, {"vLLM": "judge=vllm"}, steps=2, warmup=1)
    assert "requests/s" not in text and "1.20 (meets <= 1.3)" in text
