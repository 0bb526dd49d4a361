"""The offline ``rules`` judge: deterministic scores from machine-checkable criteria.

Every criterion must carry a ``check`` (``{"type": ..., ...}``). Hard Rules need a
boolean check; Principles take a graded check (0-10) or a boolean one (10 / 0).
IFEval instruction ids are scored by lm-eval's own instruction checkers, with
NLTK's real Punkt data from a PyPI package so nothing is downloaded. A missing or unknown check is a
configuration error raised before any training, never a silent 0.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from core.registry import component
from core.rubric import Criterion, Rubric
from evals.judges.base import Judge, JudgeRequest, Judgment, Score


class CheckError(ValueError):
    """A rubric the rules judge cannot score (missing/unknown/ill-typed check)."""


def use_local_nltk() -> None:
    """Point NLTK at real Punkt data from a PyPI package (evals.punkt_data), before lm-eval's IFEval
    module imports nltk (which would otherwise try to download it)."""
    from evals.punkt_data import nltk_data_dir

    data = str(nltk_data_dir())
    os.environ.setdefault("NLTK_DATA", data)
    import nltk

    if data not in nltk.data.path:
        nltk.data.path.insert(0, data)


@cache
def _ifeval_registry() -> dict[str, Any]:
    use_local_nltk()
    import langdetect

    langdetect.DetectorFactory.seed = 0
    from lm_eval.tasks.ifeval import instructions_registry

    return instructions_registry.INSTRUCTION_DICT


def ifeval_check(instruction_id: str, kwargs: dict[str, Any], response: str, prompt: str = "") -> bool:
    """Strict IFEval verdict for one instruction, exactly as lm-eval computes it."""
    registry = _ifeval_registry()
    if instruction_id not in registry:
        raise CheckError(f"unknown IFEval instruction id {instruction_id!r}")
    inst = registry[instruction_id](instruction_id)
    inst.build_description(**{k: v for k, v in (kwargs or {}).items() if v is not None})
    args = inst.get_instruction_args()
    if args and "prompt" in args:
        inst.build_description(prompt=prompt)
    return bool(response.strip()) and bool(inst.check_following(response))


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9']+", text)


def _sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s])


def _in_range(n: int, spec: dict[str, Any]) -> bool:
    return spec.get("min", 0) <= n <= spec.get("max", 10**9)


def _fold(text: str, spec: dict[str, Any]) -> str:
    return text if spec.get("case_sensitive") else text.lower()


def _lang(text: str, spec: dict[str, Any]) -> bool:
    _ifeval_registry()  # seeds langdetect
    import langdetect

    try:
        return langdetect.detect(text) == spec["lang"]
    except langdetect.LangDetectException:
        return False


def _is_json(text: str, spec: dict[str, Any]) -> bool:
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


# boolean checks: (response, spec, prompt) -> bool
BOOL_CHECKS: dict[str, Callable[[str, dict[str, Any], str], bool]] = {
    "contains": lambda r, s, p: _fold(s["value"], s) in _fold(r, s),
    "not_contains": lambda r, s, p: _fold(s["value"], s) not in _fold(r, s),
    "contains_any": lambda r, s, p: any(_fold(v, s) in _fold(r, s) for v in s["values"]),
    "regex": lambda r, s, p: re.search(s["pattern"], r, 0 if s.get("case_sensitive") else re.I) is not None,
    "word_count": lambda r, s, p: _in_range(len(_words(r)), s),
    "sentence_count": lambda r, s, p: _in_range(_sentences(r), s),
    "char_count": lambda r, s, p: _in_range(len(r), s),
    "starts_with": lambda r, s, p: _fold(r.strip(), s).startswith(_fold(s["value"], s)),
    "ends_with": lambda r, s, p: _fold(r.strip(), s).endswith(_fold(s["value"], s)),
    "bullets": lambda r, s, p: _in_range(len(re.findall(r"^\s*[-*•]\s+\S", r, re.M)), s),
    "json": lambda r, s, p: _is_json(r, s),
    "lowercase": lambda r, s, p: bool(r.strip()) and r == r.lower(),
    "uppercase": lambda r, s, p: bool(r.strip()) and r == r.upper(),
    "no_digits": lambda r, s, p: not re.search(r"\d", r),
    "language": lambda r, s, p: _lang(r, s),
    "ifeval": lambda r, s, p: ifeval_check(s["id"], s.get("kwargs", {}), r, p),
}


def _keywords(r: str, s: dict[str, Any], p: str) -> float:
    words = s["words"]
    text = _fold(r, s)
    return sum(_fold(w, s) in text for w in words) / len(words)


def _length_band(r: str, s: dict[str, Any], p: str) -> float:
    n, target, tol = len(_words(r)), s["target"], s.get("tolerance", max(1, s["target"] // 2))
    return max(0.0, 1.0 - abs(n - target) / tol)


def _diversity(r: str, s: dict[str, Any], p: str) -> float:
    w = [x.lower() for x in _words(r)]
    if len(w) < s.get("min_words", 3):
        return 0.0
    return len(set(w)) / len(w)


# graded checks: (response, spec, prompt) -> fraction in [0, 1], mapped to 0-10 for principles
GRADED_CHECKS: dict[str, Callable[[str, dict[str, Any], str], float]] = {
    "keywords": _keywords,
    "length_band": _length_band,
    "diversity": _diversity,
}

_REQUIRED: dict[str, tuple[str, ...]] = {
    "contains": ("value",), "not_contains": ("value",), "contains_any": ("values",),
    "regex": ("pattern",), "starts_with": ("value",), "ends_with": ("value",),
    "language": ("lang",), "ifeval": ("id",), "keywords": ("words",), "length_band": ("target",),
}


def validate_criterion(c: Criterion) -> None:
    if c.check is None:
        raise CheckError(f"criterion {c.text[:50]!r} has no 'check'; the rules judge cannot score it")
    t = c.check["type"]
    if t not in BOOL_CHECKS and t not in GRADED_CHECKS:
        raise CheckError(f"criterion {c.text[:50]!r}: unknown check type {t!r}")
    if c.kind == "hard_rule" and t in GRADED_CHECKS:
        raise CheckError(f"criterion {c.text[:50]!r}: hard rule with graded check {t!r} (needs a true/false check)")
    missing = [k for k in _REQUIRED.get(t, ()) if k not in c.check]
    if missing:
        raise CheckError(f"criterion {c.text[:50]!r}: check {t!r} needs {missing}")
    if t == "ifeval" and c.check["id"] not in _ifeval_registry():
        raise CheckError(f"criterion {c.text[:50]!r}: unknown IFEval instruction id {c.check['id']!r}")


def score_criterion(c: Criterion, response: str, prompt: str = "") -> Score:
    """Raw score: bool for a hard rule, int 0-10 for a principle."""
    t = c.check["type"]  # type: ignore[index]
    if t in BOOL_CHECKS:
        ok = BOOL_CHECKS[t](response, c.check, prompt)  # type: ignore[arg-type]
        return ok if c.kind == "hard_rule" else (10 if ok else 0)
    frac = GRADED_CHECKS[t](response, c.check, prompt)  # type: ignore[arg-type]
    return int(round(10 * min(1.0, max(0.0, frac))))


@component("judge", "rules")  # no parameters: the schema (from the signature) is its _target_ alone
class RulesJudge(Judge):
    name = "rules"
    prompt_version = "rules-v1"

    def validate(self, rubric: Rubric) -> None:
        for c in rubric.criteria:
            validate_criterion(c)

    def judge(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        out = []
        for req in requests:
            self.validate(req.rubric)
            scores = [score_criterion(c, req.response, req.question) for c in req.rubric.criteria]
            self.counters["requests"] += 1
            out.append(Judgment(scores=scores, rationale="", judge=self.name, prompt_version=self.prompt_version))
        return out


# ----------------------------------------------------------------------------- appended check types (issue 5)


def ifeval_loose_variants(response: str) -> list[str]:
    """lm-eval's loose IFEval variants: as is, asterisks removed, first/last/both lines removed."""
    r = response.split("\n")
    first = "\n".join(r[1:]).strip()
    last = "\n".join(r[:-1]).strip()
    both = "\n".join(r[1:-1]).strip()
    return [response, response.replace("*", ""), first, last, both,
            first.replace("*", ""), last.replace("*", ""), both.replace("*", "")]


def ifeval_loose_check(instruction_id: str, kwargs: dict[str, Any], response: str, prompt: str = "") -> bool:
    """Loose IFEval verdict, as lm-eval computes it: strict on any of the response's variants
    (as is, asterisks removed, first / last / both lines removed, and their asterisk-free forms)."""
    return any(r.strip() and ifeval_check(instruction_id, kwargs, r, prompt) for r in ifeval_loose_variants(response))


def _contains_all(r: str, s: dict[str, Any], p: str) -> bool:
    return all(_fold(v, s) in _fold(r, s) for v in s["values"])


BOOL_CHECKS["ifeval_loose"] = lambda r, s, p: ifeval_loose_check(s["id"], s.get("kwargs", {}), r, p)
BOOL_CHECKS["contains_all"] = _contains_all
_REQUIRED["ifeval_loose"] = ("id",)
_REQUIRED["contains_all"] = ("values",)
