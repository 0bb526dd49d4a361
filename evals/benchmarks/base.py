"""The benchmark interface: load items, score responses with a judge, official metric.

Each benchmark is one folder ``evals/benchmarks/<name>/`` (code, metric, lm-eval task, fixtures, README)
+ one ``conf/benchmark/<name>.yaml``. ``score`` returns the official metric, per-dimension scores and
the polarization metrics the paper is about (worst dimension, spread across dimensions,
severe-deficiency rate).
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.layouts import read_rows
from core.reasoning import cut_scores, is_cut
from core.rubric import Example, Rubric, RubricFormatError, build_example  # noqa: F401 (re-exported)
from core.scores import Score, met, oriented, pitfalls
from core.strict_completion import share, strict_completion
from evals.judges.base import Judge, JudgeRequest, Judgment, normalize

BENCHMARKS = Path(__file__).resolve().parent  # one folder per benchmark, its samples in <name>/fixtures/


@dataclass
class BenchResult:
    metrics: dict[str, float]  # official metric(s); the headline one is named by Benchmark.primary
    dimensions: dict[str, float] = field(default_factory=dict)
    polarization: dict[str, float] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def flat(self) -> dict[str, float]:
        out = dict(self.metrics)
        out.update({f"dim/{k}": v for k, v in self.dimensions.items()})
        out.update({f"polarization/{k}": v for k, v in self.polarization.items()})
        return out


def polarization(dimensions: dict[str, float], severe: Sequence[bool],
                 complete: Sequence[float] = ()) -> dict[str, float]:
    """Worst dimension, spread (max - min) across dimensions, share of severely deficient responses,
    and strict completion (share of responses meeting every required criterion, ``strict_complete``)."""
    out: dict[str, float] = {}
    if dimensions:
        vals = np.array(list(dimensions.values()), dtype=float)
        out["worst_dimension"] = float(vals.min())
        out["spread"] = float(vals.max() - vals.min())
    if len(severe):
        out["severe_deficiency_rate"] = float(np.mean(severe))
    strict = share(complete) if len(complete) else None
    if strict is not None:
        out["strict_completion"] = strict
    return out


def strict_complete(j: Judgment, rubric: Rubric) -> float:
    """1.0 if the response meets every Hard Rule (every criterion, Principles at >= 5/10, when the
    rubric has none), 0.0 if not, NaN when a required criterion was unscorable (``core.strict_completion``)."""
    v = oriented(normalize(j.scores, rubric.kinds), rubric)
    return float(strict_completion(v, np.array([k == "hard_rule" for k in rubric.kinds], dtype=bool)))


def is_severe(j: Judgment, kinds: Sequence[str]) -> bool:
    """A failed Hard Rule or a Principle scored at most 2."""
    for s, kind in zip(j.scores, kinds, strict=True):
        if s is None:
            continue
        if (kind == "hard_rule" and met(s) is False) or (kind == "principle" and int(s) <= 2):
            return True
    return False


class Benchmark(ABC):
    name: str = "benchmark"
    primary: str = "score"
    metrics: tuple[str, ...] = ()  # the official metrics (its lm-eval task's metric list); () = no lm-eval task

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit

    @abstractmethod
    def load(self) -> list[Example]: ...

    @abstractmethod
    def score(self, items: Sequence[Example], responses: Sequence[str], judge: Judge) -> BenchResult: ...

    def check(self, items: Sequence[Example], judge: Judge) -> None:
        """Fail fast, before any generation: an empty selection, or an item whose rubric the
        configured judge cannot score, stops the run with one line naming the first and the count."""
        check_items(self.name, items, judge)


class BenchmarkCheckError(ValueError):
    """A benchmark that cannot be evaluated as configured (raised before any generation)."""


def check_items(name: str, items: Sequence[Example], judge: Judge) -> None:
    """Every item's rubric through ``judge.validate``; one error naming the first bad item and the count."""
    if not items:
        raise BenchmarkCheckError(f"{name}: no items selected")
    bad: list[tuple[Example, Exception]] = []
    for e in items:
        try:
            judge.validate(e.rubric)
        except ValueError as err:
            bad.append((e, err))
    if bad:
        e, err = bad[0]
        raise BenchmarkCheckError(f"{name}: {len(bad)} of {len(items)} items cannot be scored by judge "
                                  f"{judge.name!r}; first: {e.id}: {str(err).splitlines()[0]}")


# ----------------------------------------------------------------------------- shared helpers


def shipped(path: str) -> str:
    """``fixtures:<benchmark>/<file>`` -> ``evals/benchmarks/<benchmark>/fixtures/<file>`` where the package
    is installed; any other path as given.

    A preset names the samples it evaluates on this way (``fixtures:ifeval/real/input_data.jsonl``), so it
    finds them from any working directory.
    """
    if not path.startswith("fixtures:"):
        return path
    name, _, rest = path.removeprefix("fixtures:").partition("/")
    return str(BENCHMARKS / name / "fixtures" / rest)


def load_source(path: str | None, hub_id: str | None, split: str, fixture: Path,
                name: str | None = None, data_files: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """(rows, source label) from a local file, a hub dataset, or the bundled fixture.

    ``hub_id`` goes through ``datasets.load_dataset`` (needs the hub or its cache);
    ``data_files`` selects one file of a hub repository (e.g. Arena-Hard's question.jsonl).
    """
    if path:
        path = shipped(path)
        return read_rows(path, "benchmark"), str(path)
    if hub_id:
        import datasets

        kwargs: dict[str, Any] = {"split": split}
        if name:
            kwargs["name"] = name
        if data_files:
            kwargs["data_files"] = data_files
        ds = datasets.load_dataset(hub_id, **kwargs)
        return [dict(r) for r in ds], f"{hub_id}[{name or ''}:{split}]"
    return read_rows(fixture, "benchmark"), str(fixture)


def select(items: list[Example], rows: Sequence[dict[str, Any]], source: str, option: str, field_name: str,
           wanted: Sequence[str] | str | None) -> list[Example]:
    """Items whose raw row has ``field_name`` in ``wanted`` (None keeps all).

    An option naming a field that no row has, or a filter that selects nothing, is an error
    (``benchmark.lang=en`` on rows without ``lang`` must not yield 0 items silently).
    """
    if wanted is None:
        return items
    want = {wanted} if isinstance(wanted, str) else {str(w) for w in wanted}
    if not any(field_name in r for r in rows):
        raise BenchmarkCheckError(f"{source}: benchmark.{option}={sorted(want)} but no row has a '{field_name}' field")
    out = [e for e, r in zip(items, rows, strict=True) if str(r.get(field_name)) in want]
    if not out:
        present = sorted({str(r.get(field_name)) for r in rows})
        raise BenchmarkCheckError(f"{source}: benchmark.{option}={sorted(want)} selects no rows "
                                  f"('{field_name}' values present: {present[:10]})")
    return out


def require(row: dict[str, Any], source: str, n: int, field_name: str, types: type | tuple[type, ...]) -> Any:
    """A required field of a raw row, type-checked; errors name file, row and field."""
    if field_name not in row or row[field_name] is None:
        raise RubricFormatError(source, n, field_name, "missing")
    v = row[field_name]
    allowed = types if isinstance(types, tuple) else (types,)
    if not isinstance(v, allowed) or (isinstance(v, bool) and bool not in allowed):
        want = "/".join(t.__name__ for t in allowed)
        raise RubricFormatError(source, n, field_name, f"expected {want}, got {type(v).__name__}")
    return v


# ----------------------------------------------------------------------------- the cut rule
# A response cut in its reasoning (its answer is ``core.reasoning.CUT``) is never sent to the judge
# and fails every criterion, a pitfall included: the rule of training (harness/cell/rewards.py).
# Every benchmark reaches the judge through run_judge or judge_pairs, so the rule is applied here.

CUT_RATIONALE = "cut in its reasoning: not judged, every criterion unmet (the cut rule)"


def _raw(values: np.ndarray, rubric: Rubric) -> list[Score]:
    """``cut_scores``' normalized 0 / 1 as a judge's raw scores: a Hard Rule's bool, a Principle's 0 or 10."""
    return [bool(v) if k == "hard_rule" else int(10 * v) for v, k in zip(values, rubric.kinds, strict=True)]


def cut_judgment(rubric: Rubric) -> Judgment:
    """The judgment of a cut response (``core.reasoning.cut_scores``): oriented 0 on every criterion."""
    return Judgment(scores=_raw(cut_scores(pitfalls(rubric)), rubric), rationale=CUT_RATIONALE, judge="cut")


def beats_cut_judgment(rubric: Rubric) -> Judgment:
    """The opponent of a cut response in a pairwise game: oriented 1 everywhere, so the cut one
    loses the game outright (the lowest pairwise score) without a judge call."""
    return Judgment(scores=_raw(1.0 - cut_scores(pitfalls(rubric)), rubric),
                    rationale="not judged: the other response was cut in its reasoning", judge="cut")


def run_judge(judge: Judge, requests: Sequence[JudgeRequest], desc: str = "judging",
              chunk: int = 0, progress: bool = True) -> list[Judgment]:
    """Judge a whole benchmark in batch: one ``judge.judge`` call, or one per ``chunk`` requests
    (so a progress bar can move on long runs). Never one call per document. A cut response
    gets ``cut_judgment`` and no call (the cut rule)."""
    from tqdm.auto import tqdm

    reqs = list(requests)
    todo = [r for r in reqs if not is_cut(r.response)]
    size = chunk if chunk and chunk > 0 else max(1, len(todo))
    got: list[Judgment] = []
    with tqdm(total=len(todo), desc=desc, unit="resp", disable=not progress or not todo, leave=False) as bar:
        for i in range(0, len(todo), size):
            part = todo[i: i + size]
            js = judge.judge(part)
            if len(js) != len(part):
                raise RuntimeError(f"judge {judge.name!r} returned {len(js)} judgments for {len(part)} requests")
            got.extend(js)
            bar.update(len(part))
    judged = iter(got)
    return [cut_judgment(r.rubric) if is_cut(r.response) else next(judged) for r in reqs]


def rubric_score(j: Judgment, kinds: Sequence[str]) -> float:
    """A response's normalized rubric score: mean of the normalized criterion scores (NaN if none)."""
    v = normalize(j.scores, kinds)
    return float(np.nanmean(v)) if np.any(~np.isnan(v)) else float("nan")


def judge_pairs(judge: Judge, pairs: Sequence[tuple[JudgeRequest, JudgeRequest]], desc: str = "judging pairs",
                progress: bool = True) -> list[tuple[Judgment, Judgment]]:
    """Pairwise judgments for (A, B) requests on the same question and rubric, from any judge.

    A judge with ``judge_pairs`` (the openai judge) scores both responses in one
    call. Any other judge (the offline rules judge) scores both pointwise with
    ``judge.judge`` on the item's rubric, in one batch; callers then compare the
    normalized rubric scores (``rubric_score``). A pair with a cut response is not
    judged: the cut side gets ``cut_judgment``, its opponent ``beats_cut_judgment``.
    """

    def by_rule(r: JudgeRequest) -> Judgment:
        return cut_judgment(r.rubric) if is_cut(r.response) else beats_cut_judgment(r.rubric)

    cut = [is_cut(a.response) or is_cut(b.response) for a, b in pairs]
    judged = iter(_judge_pairs(judge, [p for p, c in zip(pairs, cut, strict=True) if not c], desc, progress))
    return [(by_rule(a), by_rule(b)) if c else next(judged) for (a, b), c in zip(pairs, cut, strict=True)]


def _judge_pairs(judge: Judge, pairs: Sequence[tuple[JudgeRequest, JudgeRequest]], desc: str,
                 progress: bool) -> list[tuple[Judgment, Judgment]]:
    if not pairs:
        return []
    if callable(getattr(judge, "judge_pairs", None)):
        from tqdm.auto import tqdm

        with tqdm(total=len(pairs), desc=desc, unit="pair", disable=not progress, leave=False) as bar:
            got = list(judge.judge_pairs(list(pairs)))
            bar.update(len(pairs))
        return got
    # pointwise fallback: each distinct (question, rubric, response) is scored once, in one batch
    keys: dict[tuple[str, str, str], int] = {}
    uniq: list[JudgeRequest] = []
    for r in (r for ab in pairs for r in ab):
        k = (r.question, r.rubric.to_json(), r.response)
        if k not in keys:
            keys[k] = len(uniq)
            uniq.append(r)
    got = run_judge(judge, uniq, desc=desc, progress=progress)

    def one(r: JudgeRequest) -> Judgment:
        return got[keys[(r.question, r.rubric.to_json(), r.response)]]

    return [(one(a), one(b)) for a, b in pairs]


def with_mode(judge: Judge, mode: str | None) -> Judge:
    """The same judge in another protocol (``rubric`` / ``per_item`` / ``pairwise``) when it has modes.

    A judge without a ``mode`` attribute (rules) is returned unchanged. The copy
    shares the original's cache, client settings and counters.
    """
    if not mode or getattr(judge, "mode", None) in (None, mode):
        return judge
    other = copy.copy(judge)
    other.mode = mode  # type: ignore[attr-defined]
    return other


def sample(e: Example, response: str, j: Judgment | None, **extra: Any) -> dict[str, Any]:
    """One samples.jsonl record: id, prompt, response, raw scores, plus benchmark extras."""
    out: dict[str, Any] = {"id": e.id, "prompt": e.question, "response": response,
                           "scores": None if j is None else j.scores}
    if j is not None and j.rationale:
        out["rationale"] = j.rationale
    out.update(extra)
    return out


# Pairwise benchmarks (Arena-Hard, AlpacaEval) have no rubric in their data. An LLM judge
# compares the two answers on these principles (the criteria of Arena-Hard's judge prompt);
# they carry no check, so the rules judge needs a fixture row's own ``rubric``.
DEFAULT_PAIRWISE_RUBRIC: list[dict[str, Any]] = [
    {"text": "Correct and accurate: no factual or logical errors.", "kind": "principle", "tags": ["aspect:correctness"]},
    {"text": "Helpful: addresses what the user asked, follows the instructions.", "kind": "principle",
     "tags": ["aspect:helpfulness"]},
    {"text": "Relevant: every part of the answer relates to the request.", "kind": "principle",
     "tags": ["aspect:relevance"]},
    {"text": "Concise: clear and not verbose.", "kind": "principle", "tags": ["aspect:conciseness"]},
    {"text": "Complete: includes the important information the user needs.", "kind": "principle",
     "tags": ["aspect:completeness"]},
]


def pair_margins(judged: Sequence[tuple[Judgment, Judgment]], kinds_per_pair: Sequence[Sequence[str]]) -> list[float]:
    """score(A) - score(B) of normalized rubric scores per pair (NaN when either side is unscorable)."""
    return [rubric_score(a, k) - rubric_score(b, k) for (a, b), k in zip(judged, kinds_per_pair, strict=True)]
