"""Judge prompts and the parser that recovers their inputs.

The ``pairwise`` prompt is the paper's App. E.1 and the ``prior`` prompt its App. E.2, verbatim where
the seed pages show them (``docs/paper/seed_excerpts.txt``: the appendix as a review page rendered it):
each line is tagged ``"E.1"``/``"E.2"`` (the seed's words) or ``"ours"`` (the seed is cut off there),
and ``tests/harness/test_provenance.py`` checks the tags against the seed. The other modes' prompts
are our own wording.

Every prompt is a constant system message (so a server's prefix cache reuses it; pairwise: constant
but for E.1's count, see below) plus a user message made of tagged sections, the part shared by a
GRPO group's rollouts first and the rollout last, so that llama.cpp (which keeps the last prompt's KV
cache) and vLLM (automatic prefix caching) compute the instructions, question and rubric once per group::

    <question> ... </question>
    <rubric> [{"id": 1, "type": "Hard Rule", "criterion": "..."}, ...] </rubric>
    The rubric has K criteria: ...        (rubric and pairwise modes, v3: before the responses)
    <response> ... </response>            (rubric mode)
    <rollout_A> ... </rollout_A> <rollout_B> ... </rollout_B>   (pairwise mode)
    <response_1> ... </response_1> ... <response_N> ... </response_N>   (group mode: then the count N)
    <criterion> {"type": ..., "criterion": ...} </criterion>    (per_item and logprob modes)

In the rubric and pairwise modes the rationale is a judge option (``rationale_chars``): with 0
the system message asks for the scores alone (its own constant text) and the version says so.

The rubric is a JSON array: unambiguous for an LLM judge and recoverable by
:func:`parse_prompt` (used by the loopback test server to answer like a judge).
A criterion's machine ``check`` is never included: it is the answer key of the
offline rules judge, and an LLM judge that saw it would be graded on reading it
(the loopback test server looks checks up in a side table instead, see
``tests.support.testserver``). Changing any wording here means bumping the matching
version string: versions go into the cache key, every Judgment and the policy key.
In the ``pairwise`` and ``prior`` prompts the rubric's types are written as E.1/E.2 name them,
``"[Hard Rule]"`` and ``"[Principle]"``, and E.1's ``{count}`` is filled in the system message
(it then differs between rubric sizes only in its last lines, so a prefix cache still serves it).

The logprob mode asks one short question per criterion whose answer is one token
(``Yes``/``No`` for a Hard Rule, ``0``..``10`` for a Principle); its two system
messages are constant too.
"""

from __future__ import annotations

import json
import re
from typing import Any

from core.rubric import Criterion, Rubric
from evals.judges.replies import RATIONALE_MAX_CHARS

# v2: the machine check is no longer in the prompt; rubric-v3: the "The rubric has K criteria" line
# before the response (the rollout last); pairwise-v3 / prior-v3: the paper's E.1 / E.2 text (E.1 gives
# the criterion count in its requirements, so the pairwise user message has no count line)
RUBRIC_VERSION = "rubric-v3"
PAIRWISE_VERSION = "pairwise-v3"
GROUP_VERSION = "group-v1"  # rubric-v3's layout, the responses numbered after the shared part
DEFAULT_RATIONALE_CHARS = RATIONALE_MAX_CHARS  # the rationale bound a version string does not spell out
PER_ITEM_VERSION = "per_item-v2"
PRIOR_VERSION = "prior-v3"
LOGPROB_VERSION = "logprob-v1"

VERSIONS = {
    "rubric": RUBRIC_VERSION,
    "pairwise": PAIRWISE_VERSION,
    "group": GROUP_VERSION,
    "per_item": PER_ITEM_VERSION,
    "prior": PRIOR_VERSION,
    "logprob": LOGPROB_VERSION,
}

_TYPE = {"hard_rule": "Hard Rule", "principle": "Principle"}
_TAGGED = {k: f"[{v}]" for k, v in _TYPE.items()}  # E.1/E.2's spelling (pairwise and prior prompts)
_KIND = {**{v: k for k, v in _TYPE.items()}, **{v: k for k, v in _TAGGED.items()}}

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

# group mode: rubric-v3's instructions for N numbered responses, one score list each
GROUP_SYSTEM = f"""You are a strict, impartial grader. You receive a user question, a rubric and several
numbered responses to the question. Grade every response against each rubric criterion on its own,
ignoring the other responses, the other criteria, the response's length and its style unless a
criterion is about them.

{_KINDS_TEXT}

Steps: read the question; for every response in order and every criterion in order decide whether
the response meets it (Hard Rule) or how well it does (Principle); write a short rationale; then
give the scores.

Output: return ONLY a JSON object, no prose and no code fence:
{{"rationale": "<brief per-response justification>", "scores": [[true, 7, false, 4], [false, 5, true, 8]]}}
- "scores" has exactly one list per response, in response order.
- Each list has exactly one entry per criterion, in rubric order.
- Hard Rule entries are JSON booleans (true/false).
- Principle entries are JSON integers from 0 to 10 (no decimals, no strings)."""

GROUP_SCORES_ONLY_SYSTEM = GROUP_SYSTEM.replace(
    "; write a short rationale; then\ngive the scores.", "; then give the\nscores."
).replace('{"rationale": "<brief per-response justification>", "scores"', '{"scores"')

# The paper's App. E.1 pairwise judge prompt. The seed shows it from the Hard Rule list on (its copy
# starts mid-prompt and renders each numbered item as a separate entry, so the "1." markers are ours):
# the lines marked "ours" are not in the seed; every other line is the seed's text, word for word.
# "6 to 8" is missing from the seed's Principle bands (9-10, 3-5 and 0-2 are shown, in that order):
# its line is ours, so that every integer the judge may give has a band.
_PAIRWISE_LINES = [
    ("ours", "You are a strict, impartial grader. You receive a user question, its rubric and two rollouts "
             "(candidate responses), Rollout A and Rollout B. Score both rollouts on every rubric criterion."),
    ("ours", ""),
    ("ours", "# Criterion Types"),
    ("ours", ""),
    ("ours", "## [Hard Rule]"),
    ("ours", "A [Hard Rule] criterion is a binary compliance criterion, such as factuality, safety, format "
             "constraints, or explicit requirements."),
    ("ours", "Output true or false:"),
    ("E.1", "1. true means the rollout fully satisfies the criterion"),
    ("E.1", "2. false means the rollout violates the criterion. "
            "Do not output numeric scores for [Hard Rule] criteria."),
    ("E.1", ""),
    ("E.1", "## [Principle]"),
    ("E.1", "A [Principle] criterion evaluates graded rollout quality, such as helpfulness, completeness, "
            "reasoning quality, clarity, structure, or depth."),
    ("E.1", "Output an integer score from 0 to 10:"),
    ("E.1", "1. 9 to 10 means outstanding"),
    ("ours", "2. 6 to 8 means good"),
    ("E.1", "3. 3 to 5 means mediocre"),
    ("E.1", "4. 0 to 2 means poor."),
    ("E.1", ""),
    ("E.1", "# Evaluation Procedure"),
    ("E.1", "1. Check whether each rollout violates any [Hard Rule] criteria"),
    ("E.1", "2. Evaluate both rollouts on each [Principle] criterion"),
    ("E.1", "3. Produce a brief item level rationale"),
    ("E.1", "4. Convert the judgments into the required true, false, or numeric scores."),
    ("E.1", ""),
    ("E.1", "# Output Format"),
    ("E.1", "Return ONLY a JSON object in the following format:"),
    ("E.1", "{"),
    ("E.1", '"rationale": "Brief item level comparison of Rollout A and Rollout B according to the rubric.",'),
    ("E.1", '"rollout_A_scores": [true, 8, false, 5],'),
    ("E.1", '"rollout_B_scores": [true, 6, true, 7]'),
    ("E.1", "}"),
    ("E.1", "Requirements:"),
    ("E.1", "1. The length of each score list must equal {count}"),
    ("E.1", "2. Scores must follow the same order as the rubric"),
    ("E.1", "3. [Hard Rule] positions must be boolean"),
    ("E.1", "4. [Principle] positions must be integers from 0 to 10."),
]
PAIRWISE_SYSTEM = "\n".join(text for _, text in _PAIRWISE_LINES)  # "{count}": see pairwise_system()


def pairwise_system(k: int) -> str:
    """E.1 with its ``{count}`` filled: the number of criteria of this rubric."""
    return PAIRWISE_SYSTEM.replace("{count}", str(k))


# judge.rationale_chars=0: E.1 without its rationale step and field (our variant, its own version suffix)
PAIRWISE_SCORES_ONLY_SYSTEM = "\n".join(
    text.replace("4. Convert", "3. Convert") for _, text in _PAIRWISE_LINES
    if "rationale" not in text.lower()
)

PER_ITEM_SYSTEM = """You are a strict, impartial grader. You receive a user question, one response and
ONE rubric criterion. Decide whether the response meets that criterion. Judge only this criterion.
If the criterion describes something undesirable (a pitfall), it is "met" when the response DOES
that undesirable thing. A criterion that is only partly satisfied is not met.

Output: return ONLY a JSON object, no prose and no code fence:
{"explanation": "<one or two sentences>", "criteria_met": true}
- "criteria_met" is a JSON boolean."""

# The paper's App. E.2 prior-weight prompt (gpt-4o-2024-11-20 in the paper). The seed shows it from the
# list of criterion types on, and its end ("the rubric above"): the question and rubric come first. The
# system message and the line introducing the types are ours (the seed is cut off before them); every
# other line is the seed's text, word for word ("1." markers ours, as in E.1).
PRIOR_SYSTEM = """You assign importance weights to the criteria of a grading rubric, for one user question."""
_PRIOR_LINES = [
    ("ours", "The rubric has two types of criteria:"),
    ("E.2", "1. [Hard Rule]: binary compliance criteria, such as factuality, safety, format constraints, "
            "or explicit requirements"),
    ("E.2", "2. [Principle]: graded quality criteria, such as helpfulness, completeness, reasoning quality, "
            "clarity, or depth."),
    ("E.2", ""),
    ("E.2", "## Instructions"),
    ("E.2", "1. Assign one weight to each criterion according to how relevant and important it is for "
            "evaluating the answer to this specific user question."),
    ("E.2", "2. Consider both the content of the user question and the role of each criterion in the rubric"),
    ("E.2", "3. The weights should be nonnegative"),
    ("E.2", "4. The sum of all weights should equal 1.0."),
    ("E.2", ""),
    ("E.2", "## Output Format"),
    ("E.2", "Return ONLY a JSON object with no explanation:"),
    ("E.2", '{"weights": [w1, w2, w3, ...]}'),
    ("E.2", "Each weight must correspond to the criterion at the same position in the rubric above."),
]
PRIOR_INSTRUCTIONS = "\n".join(text for _, text in _PRIOR_LINES)


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
    "group": GROUP_SYSTEM,
    "group/scores_only": GROUP_SCORES_ONLY_SYSTEM,
    "per_item": PER_ITEM_SYSTEM,
    "prior": PRIOR_SYSTEM,
    "logprob_hard_rule": LOGPROB_HARD_RULE_SYSTEM,
    "logprob_principle": LOGPROB_PRINCIPLE_SYSTEM,
}


def _item(c: Criterion, k: int | None = None, tagged: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {} if k is None else {"id": k}
    d["type"] = (_TAGGED if tagged else _TYPE)[c.kind]
    d["criterion"] = c.text
    return d  # never c.check: it is the rules judge's answer key


def rubric_block(rubric: Rubric, tagged: bool = False) -> str:
    """The rubric as a JSON array; ``tagged``: types spelled ``[Hard Rule]``/``[Principle]`` (E.1, E.2)."""
    items = [json.dumps(_item(c, k, tagged), ensure_ascii=False) for k, c in enumerate(rubric.criteria, start=1)]
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


def group_messages(
    question: str, rubric: Rubric, responses: list[str], rationale: bool = True
) -> list[dict[str, str]]:
    """The shared part (question, rubric, criteria count) once, then the responses numbered 1..N,
    then their count (after them, so a group split in chunks of other sizes shares the prefix)."""
    k, n = len(rubric), len(responses)
    user = "\n\n".join(
        [
            _section("question", question),
            _section("rubric", rubric_block(rubric)),
            f"The rubric has {k} criteria: every list in \"scores\" must have exactly {k} entries.",
            *(_section(f"response_{i}", r) for i, r in enumerate(responses, start=1)),
            f"There {'is 1 response' if n == 1 else f'are {n} responses'}: \"scores\" must have exactly {n} "
            f"list{'' if n == 1 else 's'}, one per response, in order.",
        ]
    )
    return _messages(_system("group", rationale), user)


def _numbered(user: str) -> list[str | None]:
    """group mode's responses, ``<response_1>`` .. ``<response_N>`` in order (a response may hold the tags)."""
    out: list[str | None] = []
    pos = 0
    while (i := user.find(f"<response_{len(out) + 1}>\n", pos)) >= 0:
        n, start = len(out) + 1, i + len(f"<response_{len(out) + 1}>\n")
        end = user.find(f"\n</response_{n}>\n\n<response_{n + 1}>\n", start)
        if end < 0:
            end = user.rfind(f"\n</response_{n}>", start)
            out.append(user[start:end] if end >= 0 else None)
            break
        out.append(user[start:end])
        pos = end
    return out or [None]


def pairwise_messages(
    question: str, rubric: Rubric, response_a: str, response_b: str, rationale: bool = True
) -> list[dict[str, str]]:
    """E.1: its instructions (the criterion count filled in) as the system message, then the inputs."""
    user = "\n\n".join(
        [
            _section("question", question),
            _section("rubric", rubric_block(rubric, tagged=True)),
            _section("rollout_A", response_a),
            _section("rollout_B", response_b),
        ]
    )
    system = SYSTEMS[_system("pairwise", rationale)].replace("{count}", str(len(rubric)))
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


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
    """E.2: the question and its rubric, then E.2's instructions ("the rubric above")."""
    user = "\n\n".join(
        [
            _section("question", question),
            _section("rubric", rubric_block(rubric, tagged=True)),
            PRIOR_INSTRUCTIONS,
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
    if isinstance(system, str):  # E.1's count, filled in per rubric
        system = re.sub(r"(must equal )\d+(\n)", r"\1{count}\2", system, count=1)
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
        elif mode == "group":
            responses = _numbered(user)
        else:
            responses = []
    if any(r is None for r in responses):
        raise ValueError("missing response section")
    return {"mode": mode, "question": question, "rubric": rubric, "responses": responses}
