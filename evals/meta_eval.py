"""Judge quality against human labels: the data formats and the metrics (no judge calls here).

Two sources of human labels, each read in its published format:

- **HealthBench meta-evaluation** (simple-evals' ``healthbench_meta``): one row per
  (conversation, completion, rubric criterion) with several physicians' binary labels
  (``prompt``, ``completion``, ``rubric``, ``binary_labels``, ``anonymized_physician_ids``,
  ``category``, ``prompt_id``, ``completion_id``). The protocol compares a grader's one label
  with EACH physician's label: precision and recall of "met" (pos) and of "not met" (neg),
  their F1s, and the balanced F1 = mean of the pos and neg F1s. A physician graded the same
  way against the other physicians of the same rows gives the ceiling (physicians' agreement
  with one another). :func:`rater_metrics` implements that protocol.
- **LLMBar** (princeton-nlp/LLMBar ``Dataset/``): ``input``, ``output_1``, ``output_2`` and
  ``label`` (1 or 2, the objectively better output); a judge's pairwise verdict is right when
  it prefers the labelled output.

Bad input stops with one line naming the file, the row and the field.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, median
from typing import Any


class MetaDataError(ValueError):
    """A human-label file that is not in the expected format (the message names file, row, field)."""


@dataclass(frozen=True)
class MetaRow:
    """One HealthBench meta-evaluation row: one completion judged on one criterion by physicians."""

    question: str  # the conversation, one ``role: content`` paragraph per message
    completion: str
    criterion: str
    labels: tuple[bool, ...]
    physicians: tuple[str, ...]
    category: str


@dataclass(frozen=True)
class PairRow:
    """One LLMBar pair: the instruction, two outputs, and which one (1 or 2) is better."""

    question: str
    output_1: str
    output_2: str
    label: int
    set: str = ""


def _rows(path: Path) -> Iterable[tuple[int, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise MetaDataError(f"{path}: not JSON ({e.msg} at line {e.lineno})") from None
        if not isinstance(data, list):
            raise MetaDataError(f"{path}: expected a JSON list of rows")
        yield from enumerate(data, start=1)
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as e:
                raise MetaDataError(f"{path}:{n}: not JSON ({e.msg})") from None


def _field(path: Path, n: int, row: Any, name: str, kind: type) -> Any:
    if not isinstance(row, dict):
        raise MetaDataError(f"{path}:{n}: expected a JSON object")
    if name not in row:
        raise MetaDataError(f"{path}:{n}: field {name!r} missing")
    value = row[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MetaDataError(f"{path}:{n}: field {name!r} has type {type(value).__name__}")
    return value


def conversation_text(messages: Sequence[dict[str, Any]]) -> str:
    """A conversation as simple-evals renders it for its grader: ``role: content`` paragraphs."""
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in messages)


def load_healthbench_meta(path: str | Path, limit: int | None = None) -> list[MetaRow]:
    path = Path(path)
    out: list[MetaRow] = []
    for n, row in _rows(path):
        prompt = _field(path, n, row, "prompt", list)
        if not prompt or not all(isinstance(m, dict) and isinstance(m.get("content"), str) and "role" in m for m in prompt):
            raise MetaDataError(f"{path}:{n}: field 'prompt' must be a non-empty list of {{role, content}} messages")
        labels = _field(path, n, row, "binary_labels", list)
        ids = _field(path, n, row, "anonymized_physician_ids", list)
        if not labels or not all(isinstance(x, bool) for x in labels):
            raise MetaDataError(f"{path}:{n}: field 'binary_labels' must be a non-empty list of booleans")
        if len(ids) != len(labels):
            raise MetaDataError(f"{path}:{n}: field 'anonymized_physician_ids' has {len(ids)} ids for {len(labels)} labels")
        out.append(MetaRow(
            question=conversation_text(prompt),
            completion=_field(path, n, row, "completion", str),
            criterion=_field(path, n, row, "rubric", str),
            labels=tuple(labels),
            physicians=tuple(str(x) for x in ids),
            category=str(row.get("category", "")),
        ))  # fmt: skip
        if limit is not None and len(out) >= limit:
            break
    return out


def load_llmbar(path: str | Path, limit: int | None = None) -> list[PairRow]:
    path = Path(path)
    out: list[PairRow] = []
    for n, row in _rows(path):
        label = _field(path, n, row, "label", int)
        if label not in (1, 2):
            raise MetaDataError(f"{path}:{n}: field 'label' must be 1 or 2, got {label!r}")
        out.append(PairRow(
            question=_field(path, n, row, "input", str),
            output_1=_field(path, n, row, "output_1", str),
            output_2=_field(path, n, row, "output_2", str),
            label=label,
            set=str(row.get("set", "")),
        ))  # fmt: skip
        if limit is not None and len(out) >= limit:
            break
    return out


# ----------------------------------------------------------------------------- HealthBench's protocol


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def rater_metrics(own: Sequence[bool], others: Sequence[Sequence[bool]]) -> dict[str, float | None]:
    """One rater's labels against every other label of the same rows (simple-evals' protocol).

    Each (own label, other label) pair counts once. ``precision_pos`` = agreement among pairs
    where this rater said met; ``recall_pos`` = agreement among pairs where the other said met;
    the ``neg`` metrics the same for "not met"; ``f1_pos``/``f1_neg`` their harmonic means;
    ``f1_balanced`` the mean of the two F1s (None when a class never occurs)."""
    hits: dict[str, list[bool]] = defaultdict(list)
    for mine, theirs in zip(own, others, strict=True):
        for other in theirs:
            agree = mine == other
            hits[f"precision_{'pos' if mine else 'neg'}"].append(agree)
            hits[f"recall_{'pos' if other else 'neg'}"].append(agree)
    out: dict[str, float | None] = {}
    for cls in ("pos", "neg"):
        for m in ("precision", "recall"):
            v = hits.get(f"{m}_{cls}", [])
            out[f"{m}_{cls}"] = sum(v) / len(v) if v else None
        out[f"f1_{cls}"] = _f1(out[f"precision_{cls}"], out[f"recall_{cls}"])
    pos, neg = out["f1_pos"], out["f1_neg"]
    out["f1_balanced"] = None if pos is None or neg is None else (pos + neg) / 2
    out["pairs"] = float(sum(len(o) for o in others))
    return out


def physician_metrics(rows: Sequence[MetaRow]) -> dict[str, dict[str, float | None]]:
    """Each physician's :func:`rater_metrics` against the other physicians of the rows they labelled
    (rows with one label only give no pair and are skipped)."""
    own: dict[str, list[bool]] = defaultdict(list)
    others: dict[str, list[list[bool]]] = defaultdict(list)
    for r in rows:
        for i, (pid, lab) in enumerate(zip(r.physicians, r.labels, strict=True)):
            rest = list(r.labels[:i] + r.labels[i + 1 :])
            if rest:
                own[pid].append(lab)
                others[pid].append(rest)
    return {pid: rater_metrics(own[pid], others[pid]) for pid in own}


def physician_ceiling(rows: Sequence[MetaRow]) -> dict[str, float | None]:
    """Mean and median over physicians of their balanced F1 against the other physicians."""
    vals = [m["f1_balanced"] for m in physician_metrics(rows).values() if m["f1_balanced"] is not None]
    return {
        "mean": mean(vals) if vals else None,
        "median": median(vals) if vals else None,
        "physicians": float(len(vals)),
    }


def flip_rate(first: Sequence[Any], second: Sequence[Any]) -> float | None:
    """Share of items whose verdict differs between two asks (items unscorable in either are left out)."""
    pairs = [(a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None]
    return sum(a != b for a, b in pairs) / len(pairs) if pairs else None
