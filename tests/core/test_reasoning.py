"""core.reasoning: the split the judge relies on, and the one rule for a cut completion."""

import numpy as np

from core.reasoning import Split, cut_scores, split_completion


def test_trl_message_with_parsed_reasoning_gives_answer_only():
    msg = [{"role": "assistant", "reasoning_content": "plan", "content": "The answer."}]
    assert split_completion(msg) == Split("plan", "The answer.", False)


def test_plain_string_finished_thinking_is_split_at_last_think_end():
    s = split_completion("<think>\nplan </think> not yet</think>\n\nThe answer.")
    assert s.answer == "The answer."
    assert s.reasoning == "plan </think> not yet"
    assert not s.cut_in_reasoning


def test_cut_before_think_end_in_trl_content_is_cut_with_no_answer():
    # TRL's parser leaves such a completion whole in content.
    s = split_completion({"content": "<think>\nplan cut mid-way"})
    assert s == Split("plan cut mid-way", "", True)


def test_thinking_off_empty_block_and_no_thinking_text():
    assert split_completion("<think>\n\n</think>\n\nHi").answer == "Hi"
    assert split_completion("Just an answer") == Split("", "Just an answer", False)


def test_cut_scores_orient_to_zero_for_positive_and_pitfall_criteria():
    flip = np.array([False, True, False])
    raw = cut_scores(flip)
    oriented = np.where(flip, 1.0 - raw, raw)  # core.scores.oriented's rule
    assert raw.tolist() == [0.0, 1.0, 0.0]
    assert oriented.tolist() == [0.0, 0.0, 0.0]
