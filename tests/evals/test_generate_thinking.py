"""evals.evaluation.load_lm with scale.thinking: lm-eval renders Qwen3's real template as TRL does."""

from __future__ import annotations

import pytest

from evals.evaluation import load_lm


@pytest.fixture(scope="module")
def qwen3_tiny(tiny_model, tmp_path_factory):
    from tests.support.qwen3_tiny import qwen3_copy

    return qwen3_copy(tiny_model, tmp_path_factory.mktemp("qwen3") / "model")


@pytest.mark.parametrize("thinking", ["off", "on"])
def test_load_lm_renders_qwen3_prompt_by_thinking(qwen3_tiny, thinking):
    lm = load_lm(str(qwen3_tiny), batch_size=1, thinking=thinking)
    text = lm.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True)
    assert text.startswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    assert text.endswith("<think>\n\n</think>\n\n") == (thinking == "off")
    if thinking == "on":
        assert lm.think_end_token == "</think>"  # lm-eval keeps the text after it
