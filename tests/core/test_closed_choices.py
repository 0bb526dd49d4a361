"""Every closed choice in the configs is an enum: a typo fails at compose time and lists the valid values."""

from __future__ import annotations

import pytest
from hydra.errors import ConfigCompositionException

from harness.compose import compose_config, register

CASES = [  # (overrides, the typo, valid values the error must name)
    (["data.format=rr"], "rr", ["harness", "openrubrics", "rar"]),
    (["data.pitfall_polarity=presnt"], "presnt", ["present", "absent"]),
    (["eval.backend=hff"], "hff", ["hf", "vllm"]),
    (["tracking.mode=ofline"], "ofline", ["offline", "online", "disabled"]),
    (["tracking.backend=wand"], "wand", ["wandb", "none"]),
    (["train.loss_type=dr_grp"], "dr_grp", ["dr_grpo", "dapo"]),
    (["train.scale_rewards=std"], "std", ["group", "batch", "none"]),
    (["judge=openai", "judge.mode=rubrc"], "rubrc", ["rubric", "pairwise", "per_item", "logprob"]),
    (["judge=openai", "judge.json_mode=json"], "json", ["off", "json_object", "json_schema"]),
    (["judge=openai", "judge.dialect=llama"], "llama", ["openai", "llamacpp"]),
    (["judge=openai", "judge.http_backend=requests"], "requests", ["aiohttp", "httpx"]),
    (["method=focal", "method.mode=referenc"], "referenc", ["group", "reference"]),
    (["method=pow3r", "method.contrast=sd"], "sd", ["std"]),
    (["method=pow3r", "method.category=kinds"], "kinds", ["kind"]),
    (["benchmark=healthbench", "benchmark.protocol=per-item"], "per-item", ["per_item", "rubric", "judge"]),
]


@pytest.mark.parametrize(("overrides", "typo", "valid"), CASES, ids=[c[0][-1] for c in CASES])
def test_closed_choice_typo_fails_at_compose_naming_valid_values(overrides, typo, valid):
    register()
    with pytest.raises(ConfigCompositionException) as info:
        compose_config("config", list(overrides))
    msg = f"{info.value} {info.value.__cause__}"
    assert typo in msg
    for v in valid:
        assert v in msg, (v, msg)
