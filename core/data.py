"""Training data: rubric examples from a bundled/local file or the hub, with a held-out split."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from core.config import DataConf
from core.layouts import LayoutOptions, Source, load, source_name
from core.rubric import Example, RubricFormatError

ASSETS = Path(__file__).resolve().parent / "assets"


def load_examples(path: str | Path | Sequence[str | Path | Source], fmt: str = "harness",
                  options: LayoutOptions | None = None) -> list[Example]:
    """Load and validate a file, the files of one dataset, or rows already read (``(name, rows)``, a
    hub split), in layout ``fmt`` (``auto``: detected from the first row), dispatched through
    ``core.layouts``; ``options``: a ``LayoutOptions``. Raises RubricFormatError on the first bad row
    (file, row, field, what was expected), or on a second example with the same id."""
    sources = [Path(path)] if isinstance(path, str | Path) else [s if isinstance(s, tuple) else Path(s) for s in path]
    out = load(sources, str(fmt), options or LayoutOptions())
    seen: dict[str, int] = {}
    for k, e in enumerate(out):
        if seen.setdefault(e.id, k) != k:
            raise RubricFormatError(source_name(sources[0]) if len(sources) == 1 else f"{len(sources)} files", k + 1, "id",
                                    f"duplicate id {e.id!r}")
    return out


def resolve_path(path: str) -> Path:
    """``assets:toy.jsonl`` -> the bundled file; anything else is a filesystem path."""
    if path.startswith("assets:"):
        return ASSETS / path.removeprefix("assets:")
    return Path(path).expanduser()


def _value(data, name: str) -> str:
    """An option of a data config (an enum in typed configs, a string in plain ones; absent: DataConf's default)."""
    v = data.get(name) or getattr(DataConf, name)
    return str(getattr(v, "value", v))


def layout_options(data):
    """The ``data.*`` options the layouts read (core.layouts.LayoutOptions); absent keys keep their defaults."""
    abilities = data.get("abilities")
    return LayoutOptions(judged_kind=_value(data, "judged_kind"), unknown_rules=_value(data, "unknown_rules"),
                         abilities=None if abilities is None else tuple(str(a) for a in abilities),
                         pitfall_polarity=_value(data, "pitfall_polarity"),
                         principle_tags=tuple(str(t) for t in data.get("principle_tags") or ()))


DATA_SUFFIXES = (".parquet", ".jsonl", ".json")


def _offline(data, e: Exception) -> RuntimeError:
    why = (str(e).strip().splitlines() or [""])[0][:120]
    return RuntimeError(f"data '{data.name}': cannot load hub dataset {data.hub_id!r} ({type(e).__name__}: {why}); "
                        f"offline, set data.path to a local copy" + (f" of {data.data_files}" if data.get("data_files") else ""))


def training_sources(data) -> list[Source]:
    """Where ``data``'s rows are: its local file, or its hub dataset. With ``data.data_files`` (a glob)
    the hub files are downloaded into the hub cache and read with the local readers (RubricHub's five
    files differ in schema, which ``datasets`` cannot unify); without, the split ``datasets`` loads."""
    if data.path:
        return [resolve_path(data.path)]
    if not data.hub_id:
        raise ValueError(f"data '{data.name}': set either 'path' or 'hub_id'")
    if not data.get("data_files"):
        import datasets

        try:
            return [(f"{data.hub_id}[{data.split}]", datasets.load_dataset(data.hub_id, split=data.split))]
        except OSError as e:  # datasets' offline and not-found errors; a bad row is a RubricFormatError (ValueError)
            raise _offline(data, e) from None
    from huggingface_hub import snapshot_download

    try:
        root = Path(snapshot_download(data.hub_id, repo_type="dataset", allow_patterns=data.data_files))
    except (OSError, ValueError) as e:  # offline, HF_HUB_OFFLINE=1, no such repository
        raise _offline(data, e) from None
    files = sorted(f for f in root.glob(data.data_files) if f.suffix in DATA_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"data '{data.name}': no {data.data_files} in hub dataset {data.hub_id!r}")
    return list(files)


def prompt_text(e: Example) -> str:
    """A conversation as one comparable string (whitespace-normalized)."""
    return "\n".join(f"{m['role']}: {' '.join(m['content'].split())}" for m in e.messages)


def excluded_prompts(data) -> tuple[str, set[str], set[str]] | None:
    """(file, prompt ids, prompt texts) of ``data.exclude_path`` (an evaluation benchmark's file), read
    first so a missing or malformed one fails before the training data is downloaded or parsed."""
    path = data.get("exclude_path")
    if not path:
        if data.get("require_exclude"):
            raise ValueError(f"data '{data.name}': set data.exclude_path to the file the evaluation benchmark reads "
                             "(training must never see its prompts)")
        return None
    held = load_examples(resolve_path(path), _value(data, "exclude_format"))
    return path, {e.id for e in held}, {prompt_text(e) for e in held}


def check_disjoint(examples: list[Example], data, excluded: tuple[str, set[str], set[str]] | None) -> None:
    """Fail if a training prompt is one of the excluded ones: the same prompt id, or the same
    conversation text (RuscaRL's parquet has no ids)."""
    if excluded is None:
        return
    path, ids, texts = excluded
    for n, e in enumerate(examples, start=1):
        why = "prompt id" if e.id in ids else "prompt text" if prompt_text(e) in texts else None
        if why:
            bad = sum(x.id in ids or prompt_text(x) in texts for x in examples)
            raise RubricFormatError(str(data.get("path") or data.get("hub_id")), n, "prompt",
                                    f"{bad} training prompts are in the evaluation set {path} (first: {why} "
                                    f"{e.id!r}); train on a split without them")


def load_training_examples(data) -> tuple[list[Example], list[Example]]:
    """(train, held-out). The split is a fixed shuffle (seed 0), independent of the run's seed."""
    excluded = excluded_prompts(data)
    examples = load_examples(training_sources(data), _value(data, "format"), options=layout_options(data))
    check_disjoint(examples, data, excluded)
    if data.limit:
        examples = examples[: data.limit]
    n_held = int(round(len(examples) * float(data.heldout_fraction)))
    if n_held == 0:
        return examples, []
    order = list(range(len(examples)))
    random.Random(0).shuffle(order)
    held = set(order[:n_held])
    return [e for i, e in enumerate(examples) if i not in held], [e for i, e in enumerate(examples) if i in held]
