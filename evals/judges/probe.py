"""One real rubric request to an LLM judge before any expensive work.

A judge server that is down, serves another model or answers in a shape the protocol cannot
read would otherwise turn every score of a run into ``None`` (unscorable, counted) and the run
would train on nothing. ``probe_judge`` sends one fixed small question with a 2-criterion
rubric (one Hard Rule, one Principle) through the judge's own request and validation path,
bypassing its cache and with one retry, and raises :class:`JudgeProbeError` with one line
naming the URL, the model and what came back. Judges that call no server are not probed.
The probe asks in the judge's own mode: a pairwise judge gets two responses to the same item
(the pairwise prompt and reply format), not the pointwise prompt of a single request; a group
judge gets the same two, scored in one group call.
"""

from __future__ import annotations

from core.rubric import Criterion, Rubric
from evals.judges.base import Judge, JudgeRequest
from evals.judges.openai_judge import JudgeConfigError, OpenAIJudge
from evals.judges.runtime import RetryPolicy

PROBE_QUESTION = "What is 2 + 2? Answer in one sentence."
PROBE_RESPONSE = "2 + 2 equals 4."
PROBE_SECOND = "The answer is 4."  # the pairwise probe's rollout B
PROBE_RUBRIC = Rubric(
    criteria=(
        Criterion(text="States that the answer is 4", kind="hard_rule"),
        Criterion(text="Is clear and concise", kind="principle"),
    )
)
PROBE_POLICY = RetryPolicy(max_retries=1, backoff_base=0.2, backoff_max=1.0, retry_after_max=2.0)


class JudgeProbeError(RuntimeError):
    """The judge could not score the probe request; the message is one line."""


def probe_judge(judge: Judge) -> None:
    """Raise :class:`JudgeProbeError` unless ``judge`` scores the probe request in the rubric's shape."""
    if not isinstance(judge, OpenAIJudge):
        return
    where = f"judge probe failed: {judge.base_url} (model {judge.model!r})"
    saved = judge.cache, judge.policy
    judge.cache, judge.policy = None, PROBE_POLICY  # a cached answer proves nothing about the server
    both = str(getattr(judge.mode, "value", judge.mode)) in ("pairwise", "group")
    responses = [PROBE_RESPONSE] + ([PROBE_SECOND] if both else [])
    try:
        found = judge.judge([JudgeRequest(PROBE_QUESTION, PROBE_RUBRIC, r) for r in responses])
    except JudgeConfigError as e:  # 401/403/404: wrong key, URL or model
        raise JudgeProbeError(f"{where}: {_line(str(e))}") from None
    finally:
        judge.cache, judge.policy = saved
    for j in found:
        if j.unscorable or len(j.scores) != len(PROBE_RUBRIC):
            raise JudgeProbeError(f"{where} ({judge.mode} mode): {_line(j.rationale) or 'no scores'}")


def _line(text: str, limit: int = 300) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."
