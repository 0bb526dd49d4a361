"""The reward function with a reasoning policy: the judge sees the answer only; a completion
cut in its reasoning is never judged, earns nothing, and is counted."""

from __future__ import annotations

import pytest

from core.rubric import Criterion, Rubric
from evals.judges.rules import RulesJudge
from harness.cell.rewards import RubricReward
from methods.static import Static
from tests.support.judges import CountingJudge

RUBRIC = Rubric(
    criteria=[
        Criterion(text="says cat", kind="hard_rule", check={"type": "contains", "value": "cat"}),
        Criterion(text="no dog", kind="hard_rule", weight=-1.0, check={"type": "contains", "value": "dog"}),
    ]
)


def test_judge_sees_answer_only_and_cut_scores_nothing():
    judge, logged = CountingJudge(), {}
    out = RubricReward(judge, Static())(
        prompts=[None] * 3,
        completions=[
            [{"role": "assistant", "reasoning_content": "a cat? a dog?", "content": "cat"}],
            [{"role": "assistant", "content": "<think>\nmaybe cat, no dog</think>\n\nbird"}],
            [{"role": "assistant", "content": "<think>\ncat cat cut mid-way"}],
        ],
        example_id=["a"] * 3,
        question=["q"] * 3,
        rubric=[RUBRIC.to_json()] * 3,
        log_metric=lambda k, v: logged.__setitem__(k, v),
    )
    assert judge.seen == ["cat", "bird"]  # no reasoning, and no call for the cut completion
    assert out[0] > out[1] > out[2]  # the cut one avoids the dog pitfall yet earns nothing for it
    assert logged["completions/cut_in_reasoning"] == pytest.approx(1 / 3)


def test_cut_completion_scores_like_all_criteria_unmet():
    reward = RubricReward(RulesJudge(), Static())
    rewards, _, _ = reward.score(["a"] * 2, ["q"] * 2, [RUBRIC.to_json()] * 2, ["", "dog"], [True, False])
    # "dog": cat unmet, pitfall present -> oriented 0 everywhere, the same as the cut rule
    assert rewards[0] == pytest.approx(rewards[1])


@pytest.fixture(scope="module")
def qwen3_tiny(tiny_model, tmp_path_factory):
    from tests.support.qwen3_tiny import qwen3_copy

    return qwen3_copy(tiny_model, tmp_path_factory.mktemp("qwen3") / "model")


@pytest.mark.parametrize("thinking", ["off", "on"])
def test_grpo_renders_qwen3_prompt_by_scale_thinking(qwen3_tiny, tmp_path, thinking):
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOTrainer

    from harness.cell.train import grpo_args

    train = {"per_device_train_batch_size": 2, "num_generations": 2, "max_completion_length": 4,
             "max_steps": 1, "bf16": False, "use_cpu": True}
    args = grpo_args(train, 0, tmp_path, {"use_vllm": False, "deepspeed": None, "bf16": False, "on_gpu": False},
                     [], thinking)
    tok = AutoTokenizer.from_pretrained(qwen3_tiny)
    trainer = GRPOTrainer(model=str(qwen3_tiny), reward_funcs=lambda completions, **_: [0.0] * len(completions),
                          args=args, train_dataset=Dataset.from_list([{"prompt": [{"role": "user", "content": "hi"}]}]),
                          processing_class=tok)
    ids, _, _ = trainer._tokenize_prompts([[{"role": "user", "content": "hi"}]])
    text = tok.decode(ids[0])
    assert text.startswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    assert text.endswith("<think>\n\n</think>\n\n") == (thinking == "off")


def test_reward_splits_on_the_configured_think_end_token():
    """``scale.think_end_token`` decides where the answer starts in training, as in evaluation."""
    completions = [[{"role": "assistant", "content": "a cat? a dog?<|end_of_thought|>\n\ncat"}],
                   [{"role": "assistant", "content": "dog</think>cat"}]]
    kw = dict(prompts=[None] * 2, completions=completions, example_id=["a"] * 2, question=["q"] * 2,
              rubric=[RUBRIC.to_json()] * 2)
    judge = CountingJudge()
    RubricReward(judge, Static(), think_end_token="<|end_of_thought|>")(**kw)
    assert judge.seen == ["cat", "dog</think>cat"]
    default = CountingJudge()
    RubricReward(default, Static())(**kw)
    assert default.seen == ["a cat? a dog?<|end_of_thought|>\n\ncat", "cat"]


def test_training_reward_reads_the_scales_think_end_token():
    from harness.cell.train import TrainJob, rubric_reward

    job = TrainJob(train={}, scale={"think_end_token": "<|end_of_thought|>"}, data={}, seed=0, cache_dir="")
    judge = CountingJudge()
    rubric_reward(job, judge, Static(), [])(
        prompts=[None], completions=["dog<|end_of_thought|>cat"], example_id=["a"], question=["q"],
        rubric=[RUBRIC.to_json()])
    assert judge.seen == ["cat"]
