"""Training data: rubric examples from a bundled/local JSONL or the hub, with a held-out split."""

from __future__ import annotations

import random
from pathlib import Path

from core.rubric import Example, load_examples, load_hub_examples

ASSETS = Path(__file__).resolve().parent / "assets"


def resolve_path(path: str) -> Path:
    """``assets:toy.jsonl`` -> the bundled file; anything else is a filesystem path."""
    if path.startswith("assets:"):
        return ASSETS / path.removeprefix("assets:")
    return Path(path).expanduser()


def _polarity(data) -> str:
    """The RaR pitfall convention of a data config (an enum in typed configs, a string in plain ones)."""
    v = data.get("pitfall_polarity") or "present"
    return str(getattr(v, "value", v))


def load_training_examples(data) -> tuple[list[Example], list[Example]]:
    """(train, held-out). The split is a fixed shuffle (seed 0), independent of the run's seed."""
    if data.path:
        examples = load_examples(resolve_path(data.path), data.format, _polarity(data))
    elif data.hub_id:
        examples = load_hub_examples(data.hub_id, data.split, data.format, _polarity(data))
    else:
        raise ValueError(f"data '{data.name}': set either 'path' or 'hub_id'")
    if data.limit:
        examples = examples[: data.limit]
    n_held = int(round(len(examples) * float(data.heldout_fraction)))
    if n_held == 0:
        return examples, []
    order = list(range(len(examples)))
    random.Random(0).shuffle(order)
    held = set(order[:n_held])
    return [e for i, e in enumerate(examples) if i not in held], [e for i, e in enumerate(examples) if i in held]
