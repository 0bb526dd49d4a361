"""Split a reasoning model's completion into (reasoning, answer, cut_in_reasoning).

The judge must see the answer only, in training and evaluation alike. A completion cut
inside its reasoning (``<think>`` but no ``</think>``) has no answer: by the one rule
(``cut_scores``) it earns nothing on any criterion and is never sent to the judge. Its answer
is ``CUT``, an empty string that says so, so the benchmarks' judge helpers apply the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

THINK_START = "<think>"
THINK_END = "</think>"


def template_kwargs(thinking: str | None) -> dict[str, bool]:
    """Chat-template kwargs for ``scale.thinking``: the same in TRL (``chat_template_kwargs``)
    and lm-eval (``enable_thinking``), so training and evaluation render the same prompt."""
    return {} if thinking is None else {"enable_thinking": str(thinking) == "on"}


class CutAnswer(str):
    """The answer of a completion cut in its reasoning: empty, and marked as cut, so evaluation
    (``evals.benchmarks.base.run_judge`` / ``judge_pairs``) scores it by the cut rule, not the judge."""

    __slots__ = ()


CUT = CutAnswer("")


def is_cut(answer: str) -> bool:
    """Whether this answer is that of a completion cut in its reasoning (``CUT``), not an empty reply."""
    return isinstance(answer, CutAnswer)


@dataclass(frozen=True)
class Split:
    reasoning: str
    answer: str
    cut_in_reasoning: bool


def split_completion(completion: Any, think_end: str = THINK_END, think_start: str = THINK_START) -> Split:
    """Split a TRL message (dict or list of dicts, ``content`` + ``reasoning_content``) or a
    plain string. TRL's parser leaves a completion cut before ``</think>`` whole in
    ``content``, so that case is detected on the text, not on ``reasoning_content``."""
    if isinstance(completion, list):
        completion = completion[-1]
    if isinstance(completion, dict):
        reasoning = completion.get("reasoning_content") or ""
        text = completion.get("content") or ""
    else:
        reasoning, text = "", str(completion)
    if think_end in text:
        head, _, text = text.rpartition(think_end)
        reasoning = (reasoning + head.replace(think_start, "", 1)).strip()
        return Split(reasoning, text.strip(), False)
    if think_start in text:
        return Split(text.split(think_start, 1)[1].strip(), CUT, True)
    return Split(reasoning.strip(), text, False)  # unchanged: no reasoning in the text


def cut_scores(flip: np.ndarray) -> np.ndarray:
    """Raw per-criterion scores of a completion cut in its reasoning: every criterion unmet,
    so after ``core.scores.oriented`` each is 0 (a pitfall counts as present, flipped to 0).
    ``flip`` marks the pitfall criteria (negative weight or points)."""
    return np.where(np.asarray(flip, dtype=bool), 1.0, 0.0)
