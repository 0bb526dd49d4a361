"""Judge prompts (our own wording) and the parser that recovers their inputs.

Every prompt is a constant system message (so a server's prefix cache reuses it) plus a
user message made of tagged sections, the part shared by a GRPO group's rollouts first and
the rollout last, so that llama.cpp (which keeps the last prompt's KV cache) and vLLM
(automatic prefix caching) compute the instructions, question and rubric once per group::

    <question> ... </question>
    <rubric> [{"id": 1, "type": "Hard Rule", "criterion": "..."}, ...] </rubric>
    The rubric has K criteria: ...        (rubric and pairwise modes, v3: before the responses)
    <response> ... </response>            (rubric mode)
    <rollout_A> ... </rollout_A> <rollout_B> ... </rollout_B>   (pairwise mode)
    <criterion> {"type": ..., "criterion": ...} </criterion>    (per_item and logprob modes)

In the rubric and pairwise modes the rationale is a judge option (``rationale_chars``): with 0
the system message asks for the scores alone (its own constant text) and the version says so.

The rubric is a JSON array: unambiguous for an LLM judge and recoverable by
:func:`parse_prompt` (used by the loopback test server to answer like a judge).
A criterion's machine ``check`` is never included: it is the answer key of the
offline rules judge, and an LLM judge that saw it would be graded on reading it
(the loopback test server looks checks up in a side table instead, see
``tests.support.testserver``). Changing any wording here means bumping the matching
version string: versions go into the cache key and every Judgment.

The logprob mode asks one short question per criterion whose answer is one token
(``Yes``/``No`` for a Hard Rule, ``0``..``10`` for a Principle); its two system
messages are constant too.
"""

from __future__ import annotations

import json
from typing import Any

from core.rubric import Criterion, Rubric
from evals.judges.replies import RATIONALE_MAX_CHARS

# v2: the machine check is no longer in the prompt
# v3 (rubric, pairwise): the "The rubric has K criteria" line before the responses (rollouts last)
RUBRIC_VERSION = "rubric-v3"
PAIRWISE_VERSION = "pairwise-v3"
DEFAULT_RATIONALE_CHARS = RATIONALE_MAX_CHARS  # the rationale bound a version string does not spell out
PER_ITEM_VERSION = "per_item-v2"
PRIOR_VERSION = "prior-v2"
LOGPROB_VERSION = "logprob-v1"

VERSIONS = {
    "rubric": RUBRIC_VERSION,
    "pairwise": PAIRWISE_VERSION,
    "per_item": PER_ITEM_VERSION,
    "prior": PRIOR_VERSION,
    "logprob": LOGPROB_VERSION,
}

_TYPE = {"hard_rule": "Hard Rule", "principle": "Principle"}
_KIND = {v: k for k, v in _TYPE.items()}

_KINDS_TEXT = """Criterion types:
- "Hard Rule": a binary requirement (factual correctness, safety, format or length constraints,
  anything the question explicitly demands). It is met (true) or violated (false); there is no
  partial credit.
- "Principle": a graded quality dimension (helpfulness, completeness, reasoning, clarity, depth).
  Give an integer from 0 to 10: 9-10 excellent, 7-8 good with minor gaps, 4-6 adequate but clearly
  incomplete, 1-3 poor, 0 absent or harmful."""

_SCORE_RULES = """- "scores" has exactly one entry per criterion, in rubric order.
- Hard Rule entries are JSON booleans (true/false).
- Principle entries are JSON integers from 0 to 10 (no decimals, no strings)."""

RUBRIC_SYSTEM = f"""You are a strict, impartial grader. You receive a user question, a rubric and one
response to the question. Grade the response against each rubric criterion on its own, ignoring the
other criteria, the response's length and its style unless a criterion is about them.

{_KINDS_TEXT}

Steps: read the question; for every criterion in order decide whether the response meets it
(Hard Rule) or how well it does (Principle); write a short rationale; then give the scores.

Output: return ONLY a JSON object, no prose and no code fence:
{{"rationale": "<brief per-criterion justification>", "scores": [true, 7, false, 4]}}
{_SCORE_RULES}"""

RUBRIC_SCORES_ONLY_SYSTEM = RUBRIC_SYSTEM.replace(
    "; write a short rationale; then give the scores.", "; then give the scores."
).replace('{"rationale": "<brief per-criterion justification>", "scores"', '{"scores"')

PAIRWISE_SYSTEM = f"""You are a strict, impartial grader. You receive a user question, a rubric and
two candidate responses, Rollout A and Rollout B. Grade BOTH responses against each rubric criterion.
Compare them item by item, but score each response on its own merits: the order in which they are
shown and their length must not influence the scores.

{_KINDS_TEXT}

Steps: for every criterion in order, check each rollout against it (Hard Rules first), then grade
the Principles; write a brief item-level comparison; then give both score lists.

Output: return ONLY a JSON object, no prose and no code fence:
{{"rationale": "<brief item-level comparison of A and B>",
 "rollout_A_scores": [true, 8, false, 5], "rollout_B_scores": [true, 6, true, 7]}}
- Each score list has exactly one entry per criterion, in rubric order.
- Hard Rule entries are JSON booleans (true/false).
- Principle entries are JSON integers from 0 to 10 (no decimals, no strings)."""

PAIRWISE_SCORES_ONLY_SYSTEM = PAIRWISE_SYSTEM.replace(
    "; write a brief item-level comparison; then give both score lists.", "; then give both score lists."
).replace('{"rationale": "<brief item-level comparison of A and B>",\n "rollout_A_scores"', '{"rollout_A_scores"')

PER_ITEM_SYSTEM = """You are a strict, impartial grader. You receive a user question, one response and
ONE rubric criterion. Decide whether the response meets that criterion. Judge only this criterion.
If the criterion describes something undesirable (a pitfall), it is "met" when the response DOES
that undesirable thing. A criterion that is only partly satisfied is not met.

Output: return ONLY a JSON object, no prose and no code fence:
{"explanation": "<one or two sentences>", "criteria_met": true}
- "criteria_met" is a JSON boolean."""

PRIOR_SYSTEM = """You assign importance weights to the criteria of a grading rubric. You receive a
user question and its rubric (Hard Rules are binary requirements such as correctness, safety or
format; Principles are graded qualities such as helpfulness, completeness or clarity).

Give each criterion a weight reflecting how much it matters for judging answers to THIS question:
consider what the user actually asked and what each criterion contributes to a good answer.
Weights are non-negative and sum to 1.0.

Output: return ONLY a JSON object, no explanation and no code fence:
{"weights": [w1, w2, w3, ...]}
- exactly one number per criterion, in rubric order."""

LOGPROB_HARD_RULE_SYSTEM = """You are a strict, impartial grader. You receive a user question, one
response and ONE criterion. Decide whether the response meets that criterion. Judge only this criterion.
If the criterion describes something undesirable (a pitfall), it is met when the response DOES that
undesirable thing. A criterion that is only partly satisfied is not met.

Answer with exactly one word: Yes or No."""

LOGPROB_PRINCIPLE_SYSTEM = """You are a strict, impartial grader. You receive a user question, one
response and ONE quality criterion. Rate how well the response meets that criterion, judging only this
criterion: 9-10 excellent, 7-8 good with minor gaps, 4-6 adequate but clearly incomplete, 1-3 poor,
0 absent or harmful.

Answer with exactly one integer from 0 to 10 and nothing else."""

LOGPROB_QUESTIONS = {
    "hard_rule": "Does the response meet the criterion? Answer Yes or No.",
    "principle": "How well does the response meet the criterion? Answer with one integer from 0 to 10.",
}

SYSTEMS = {
    "rubric": RUBRIC_SYSTEM,
    "rubric/scores_only": RUBRIC_SCORES_ONLY_SYSTEM,
    "pairwise": PAIRWISE_SYSTEM,
    "pairwise/scores_only": PAIRWISE_SCORES_ONLY_SYSTEM,
    "per_item": PER_ITEM_SYSTEM,
    "prior": PRIOR_SYSTEM,
    "logprob_hard_rule": LOGPROB_HARD_RULE_SYSTEM,
    "logprob_principle": LOGPROB_PRINCIPLE_SYSTEM,
}


def _item(c: Criterion, k: int | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {} if k is None else {"id": k}
    d["type"] = _TYPE[c.kind]
    d["criterion"] = c.text
    return d  # never c.check: it is the rules judge's answer key


def rubric_block(rubric: Rubric) -> str:
    items = [json.dumps(_item(c, k), ensure_ascii=False) for k, c in enumerate(rubric.criteria, start=1)]
    return "[\n" + ",\n".join(items) + "\n]"


def _section(tag: str, body: str) -> str:
    return f"<{tag}>\n{body}\n</{tag}>"


def _messages(mode: str, user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEMS[mode]}, {"role": "user", "content": user}]


def versioned(version: str, rationale_chars: int = DEFAULT_RATIONALE_CHARS) -> str:
    """A rubric/pairwise prompt version with its rationale setting when it is not the default."""
    return version if rationale_chars == DEFAULT_RATIONALE_CHARS else f"{version}+rationale{int(rationale_chars)}"


def _system(mode: str, rationale: bool) -> str:
    return mode if rationale else f"{mode}/scores_only"


def rubric_messages(question: str, rubric: Rubric, response: str, rationale: bool = True) -> list[dict[str, str]]:
    k = len(rubric)
    user = "\n\n".join(
        [
            _section("question", question),
            _section("rubric", rubric_block(rubric)),
            f'The rubric has {k} criteria: "scores" must have exactly {k} entries.',
            _section("response", response),
        ]
    )
    return _messages(_system("rubric", rationale), user)


def pairwise_messages(
    question: str, rubric: Rubric, response_a: str, response_b: str, rationale: bool = True
) -> list[dict[str, str]]:
    k = len(rubric)
    user = "\n\n".join(
        [
            _section("question", question),
            _section("rubric", rubric_block(rubric)),
            f"The rubric has {k} criteria: each score list must have exactly {k} entries.",
            _section("rollout_A", response_a),
            _section("rollout_B", response_b),
        ]
    )
    return _messages(_system("pairwise", rationale), user)


def per_item_messages(question: str, criterion: Criterion, response: str) -> list[dict[str, str]]:
    user = "\n\n".join(
        [
            _section("question", question),
            _section("response", response),
            _section("criterion", json.dumps(_item(criterion), ensure_ascii=False)),
        ]
    )
    return _messages("per_item", user)


def logprob_messages(question: str, criterion: Criterion, response: str) -> list[dict[str, str]]:
    """One 1-token question about one criterion (its kind picks the system message and the question)."""
    user = "\n\n".join(
        [
            _section("question", question),
            _section("response", response),
            _section("criterion", json.dumps(_item(criterion), ensure_ascii=False)),
            LOGPROB_QUESTIONS[criterion.kind],
        ]
    )
    return _messages(f"logprob_{criterion.kind}", user)


def prior_messages(question: str, rubric: Rubric) -> list[dict[str, str]]:
    k = len(rubric)
    user = "\n\n".join(
        [
            _section("question", question),
            _section("rubric", rubric_block(rubric)),
            f'The rubric has {k} criteria: "weights" must have exactly {k} numbers.',
        ]
    )
    return _messages("prior", user)


# ----------------------------------------------------------------------------- recovery (test server)


def _between(text: str, tag: str, last: bool = False) -> str | None:
    open_, close = f"<{tag}>\n", f"\n</{tag}>"
    i = text.find(open_)
    if i < 0:
        return None
    i += len(open_)
    j = text.rfind(close) if last else text.find(close, i)
    return text[i:j] if j >= i else None


def _criterion(item: dict[str, Any]) -> Criterion:
    return Criterion(text=item["criterion"], kind=_KIND[item["type"]])


def parse_prompt(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Recover ``{mode, question, rubric, responses}`` from messages built above.

    ``mode`` is found from the system message (``logprob_hard_rule`` /
    ``logprob_principle`` for the logprob mode); ``rubric`` is a :class:`Rubric`
    (a one-criterion rubric in per_item and logprob modes), without checks (the
    prompt has none). Raises ValueError if not ours.
    """
    system = next((m.get("content") for m in messages if m.get("role") == "system"), None)
    user = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), None)
    mode = next((name for name, text in SYSTEMS.items() if text == system), None)
    if mode is None or not isinstance(user, str):
        raise ValueError("not a focal-harness judge prompt")
    mode = mode.split("/")[0]  # rubric/scores_only -> rubric
    question = _between(user, "question")
    if question is None:
        raise ValueError("no <question> section")
    if mode == "per_item" or mode.startswith("logprob"):
        block = _between(user, "criterion", last=True)
        rubric = Rubric(criteria=(_criterion(json.loads(block or "null")),))
        responses = [_between(user, "response")]
    else:
        rubric = Rubric(criteria=tuple(_criterion(d) for d in json.loads(_between(user, "rubric") or "null")))
        if mode == "rubric":
            responses = [_between(user, "response", last=True)]
        elif mode == "pairwise":
            responses = [_between(user, "rollout_A"), _between(user, "rollout_B", last=True)]
        else:
            responses = []
    if any(r is None for r in responses):
        raise ValueError("missing response section")
    return {"mode": mode, "question": question, "rubric": rubric, "responses": responses}
