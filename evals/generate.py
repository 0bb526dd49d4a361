"""Generation for evaluation through lm-eval's model backends (``hf`` here, ``vllm`` on GPUs)."""

from __future__ import annotations

from collections.abc import Sequence

from core.reasoning import THINK_END, template_kwargs
from core.rubric import Example


def load_lm(model_path: str, backend: str = "hf", batch_size: int = 8, device: str = "cpu",
            thinking: str | None = None, think_end_token: str = THINK_END, **kwargs):
    """An lm-eval LM. ``hf`` needs ``device='cpu'`` on CPU machines (it defaults to CUDA).
    ``thinking`` (``scale.thinking``) renders prompts as training does; with thinking on,
    lm-eval returns the text after the last ``think_end_token`` (or the whole generation)."""
    from lm_eval.api.registry import get_model

    args = {"pretrained": model_path, "batch_size": batch_size, **template_kwargs(thinking), **kwargs}
    if thinking is not None and str(thinking) == "on":
        args["think_end_token"] = think_end_token
    if backend == "hf":
        args["device"] = device
    return get_model(backend)(**args)


def generate(lm, items: Sequence[Example], max_new_tokens: int, temperature: float = 0.0,
             desc: str | None = None) -> list[str]:
    """Chat-templated greedy (or sampled) generation, one response per item, in order.

    lm-eval's own progress bar shows generation progress; ``desc`` is printed above it.
    """
    from lm_eval.api.instance import Instance

    if desc:
        print(f"[{desc}] {len(items)} prompts, max_new_tokens={max_new_tokens}", flush=True)
    gen_kwargs = {"until": [], "max_gen_toks": max_new_tokens, "do_sample": temperature > 0}
    if temperature > 0:
        gen_kwargs["temperature"] = temperature
    requests = [
        Instance(
            request_type="generate_until",
            doc={"id": e.id},
            arguments=(lm.apply_chat_template(e.messages, add_generation_prompt=True), dict(gen_kwargs)),
            idx=0,
        )
        for e in items
    ]
    return [str(r) for r in lm.generate_until(requests, disable_tqdm=False)]
