"""Training data: rubric examples from a bundled/local file or the hub, with a held-out split."""

from __future__ import annotations

import random
from pathlib import Path

from core.config import DataConf
from core.rubric import Example, RubricFormatError, load_examples, load_hub_examples

ASSETS = Path(__file__).resolve().parent / "assets"


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
    from core.layouts import LayoutOptions

    abilities = data.get("abilities")
    return LayoutOptions(judged_kind=_value(data, "judged_kind"), unknown_rules=_value(data, "unknown_rules"),
                         abilities=None if abilities is None else tuple(str(a) for a in abilities),
                         pitfall_polarity=_value(data, "pitfall_polarity"))


def _hub(data, options) -> list[Example]:
    try:
        return load_hub_examples(data.hub_id, data.split, _value(data, "format"), options=options)
    except OSError as e:  # offline, HF_HUB_OFFLINE=1 and a missing dataset are all OSErrors in datasets
        why = (str(e).strip().splitlines() or [""])[0][:160]
        raise RuntimeError(f"data '{data.name}': cannot load hub dataset {data.hub_id!r} ({type(e).__name__}: {why}); "
                           f"offline, download it and set data.path to the local file") from None


def prompt_text(e: Example) -> str:
    """A conversation as one comparable string (whitespace-normalized)."""
    return "\n".join(f"{m['role']}: {' '.join(m['content'].split())}" for m in e.messages)


def check_disjoint(examples: list[Example], data) -> None:
    """Fail fast if a training prompt is one of ``data.exclude_path``'s (an evaluation benchmark's):
    the same prompt id, or the same conversation text (RuscaRL's parquet has no ids)."""
    path = data.get("exclude_path")
    if not path:
        return
    held = load_examples(resolve_path(path), _value(data, "exclude_format"))
    ids, texts = {e.id for e in held}, {prompt_text(e) for e in held}
    for n, e in enumerate(examples, start=1):
        why = "prompt id" if e.id in ids else "prompt text" if prompt_text(e) in texts else None
        if why:
            bad = sum(x.id in ids or prompt_text(x) in texts for x in examples)
            raise RubricFormatError(str(data.get("path") or data.get("hub_id")), n, "prompt",
                                    f"{bad} training prompts are in the evaluation set {path} (first: {why} "
                                    f"{e.id!r}); train on a split without them")


def load_training_examples(data) -> tuple[list[Example], list[Example]]:
    """(train, held-out). The split is a fixed shuffle (seed 0), independent of the run's seed."""
    options = layout_options(data)
    if data.path:
        examples = load_examples(resolve_path(data.path), _value(data, "format"), options=options)
    elif data.hub_id:
        examples = _hub(data, options)
    else:
        raise ValueError(f"data '{data.name}': set either 'path' or 'hub_id'")
    check_disjoint(examples, data)
    if data.limit:
        examples = examples[: data.limit]
    n_held = int(round(len(examples) * float(data.heldout_fraction)))
    if n_held == 0:
        return examples, []
    order = list(range(len(examples)))
    random.Random(0).shuffle(order)
    held = set(order[:n_held])
    return [e for i, e in enumerate(examples) if i not in held], [e for i, e in enumerate(examples) if i in held]
