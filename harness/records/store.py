"""Run store: where a policy's and a cell's files live, keyed by config hashes.

A folder per trained policy (method, scale, seed, data, training, judge) and per
evaluation cell (policy x benchmark), keyed by the fields that change results
(``harness.records.keys``). Completion markers carry the config hash so
a re-run skips what is done; JSON results are written atomically; metrics are
appended to a JSONL mirror, never rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)
SECRET_HINTS = ("api_key", "apikey", "access_key", "private_key", "secret", "password", "passwd")  # anywhere in a name
SECRET_WORDS = frozenset({"token", "auth", "bearer", "credentials"})  # whole ``_``-separated words only
DONE = "DONE"


def is_secret_key(name: str) -> bool:
    """``hf_token``, ``api_key``, ``client_secret`` hide their value; ``max_new_tokens``, ``max_tokens``,
    ``tokenizer`` and env-var NAMES (``api_key_env``) do not: a W&B config that hides the generation
    length is as wrong as one that shows a key."""
    lk = str(name).lower()
    if lk.endswith("_env"):
        return False
    words = set(lk.replace("-", "_").split("_"))
    return any(h in lk for h in SECRET_HINTS) or bool(words & SECRET_WORDS)


def redact(obj: Any) -> Any:
    """Drop secret-looking values (:func:`is_secret_key`)."""
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            secret = is_secret_key(k)
            out[k] = "<redacted>" if secret and v not in (None, "") else redact(v)
        return out
    if isinstance(obj, list | tuple):
        return [redact(v) for v in obj]
    return obj


def to_container(cfg: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(cfg, DictConfig):
        return OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)  # type: ignore[return-value]
    return dict(cfg)


def config_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:10]


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same folder + rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def append_jsonl(path: Path, record: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, sort_keys=True, default=_json_default) + "\n")
        fh.flush()


def _json_default(o: Any) -> Any:
    try:
        return float(o)
    except (TypeError, ValueError):
        return str(o)


class MirrorError(ValueError):
    """A metrics mirror line, other than a cut last one, that is not a JSON object."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSONL mirror (the one reader of the resume, the report and the summaries).

    A kill (SIGKILL, a node failure) can cut the last line mid-write: that line is dropped with
    one warning naming the file. Any other unreadable line is damage, not a kill, and raises
    :class:`MirrorError` naming file and line. A missing file has no rows.
    """
    return _read_rows(Path(path))[0]


def _read_rows(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """(rows, whether a cut last line was dropped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], False
    lines = text.split("\n")
    rows: list[dict[str, Any]] = []
    cut = False
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
        except ValueError as e:
            if i == last:
                log.warning("%s: last line cut (%d bytes, a killed write); dropped", path, len(line.encode()))
                cut = True
                continue
            raise MirrorError(f"{path}:{i + 1}: unreadable metrics line ({e})") from e
        rows.append(row)
    return rows, cut


def rewrite_jsonl(path: Path, rows: list[Mapping[str, Any]]) -> None:
    """Replace a mirror atomically (on resume only: trimming rows past the checkpoint, a cut tail)."""
    atomic_write_text(path, "".join(json.dumps(r, sort_keys=True, default=_json_default) + "\n" for r in rows))


def repair_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a mirror before appending to it again: a cut last line is dropped from the file too
    (an append after it would glue the next row onto the fragment). Returns the rows."""
    rows, cut = _read_rows(Path(path))
    if cut:
        rewrite_jsonl(Path(path), rows)
    return rows


class RunDir:
    """One folder with a config, a metrics mirror, a result and a completion marker."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = Path(path)
        self.key = key

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def result(self) -> Path:
        return self.path / "result.json"

    @property
    def samples(self) -> Path:
        return self.path / "samples.jsonl"

    def done(self) -> bool:
        marker = self.path / DONE
        return marker.exists() and marker.read_text().strip() == self.key

    def mark_done(self) -> None:
        atomic_write_text(self.path / DONE, self.key + "\n")

    def clear_marker(self) -> None:
        (self.path / DONE).unlink(missing_ok=True)

    def write_config(self, cfg: Mapping[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path / "config.yaml", OmegaConf.to_yaml(OmegaConf.create(redact(cfg))))

    def begin(self, cfg: Mapping[str, Any], clear: str | None = None) -> None:
        """Open the folder for an attempt: not done until :meth:`finish`, this attempt's config written.
        ``clear``: what an earlier attempt left that this one redoes rather than resumes (``eval``:
        its eval rows and samples; ``all``: the whole mirror and samples; None: nothing, a training
        resumes its mirror)."""
        self.clear_marker()
        self.write_config(cfg)
        if clear is not None:
            self.clear_outputs(everything=clear == "all")

    def clear_outputs(self, everything: bool = False) -> None:
        """Undo an earlier attempt's eval outputs before evaluating again: its eval rows leave the
        mirror (rewritten atomically, a line cut by a kill dropped too; ``everything``: the whole
        mirror goes) and samples.jsonl goes. A SIGKILL between the eval row and result.json would
        otherwise leave that row twice in the mirror after the re-run."""
        self.samples.unlink(missing_ok=True)
        if everything:
            self.metrics.unlink(missing_ok=True)
            return
        rows = repair_jsonl(self.metrics)
        keep = [r for r in rows if r.get("phase") != "eval"]
        if len(keep) != len(rows):
            rewrite_jsonl(self.metrics, keep)

    def finish(self, name: str, result: Mapping[str, Any]) -> None:
        """Leave the attempt's result (``name``, written atomically), then mark the folder done."""
        atomic_write_json(self.path / name, result)
        self.mark_done()

    def log(self, record: Mapping[str, Any]) -> None:
        append_jsonl(self.metrics, record)

    def read_result(self) -> dict[str, Any]:
        return json.loads(self.result.read_text())


def sweep_dir(run: Mapping[str, Any]) -> Path:
    """The folder of one sweep (``run.root/run.sweep``): policies, cells, evals and W&B files below it."""
    return Path(str(run["root"])).expanduser() / str(run["sweep"])


def cell_dirs(cfg: DictConfig | Mapping[str, Any], choices: Mapping[str, str]) -> tuple[RunDir, RunDir]:
    """(policy dir, cell dir) of a composed config: keyed by its result fields (``harness.records.keys``)."""
    from harness.records.keys import key_fields

    full = to_container(cfg)
    return layout(sweep_dir(full["run"]), int(full["seed"]), key_fields(full), choices)


def layout(
    sweep: Path, seed: int, fields: tuple[Mapping[str, Any], Mapping[str, Any]], choices: Mapping[str, str]
) -> tuple[RunDir, RunDir]:
    """(policy dir, cell dir) under the sweep folder; names from the chosen group options.

    ``fields`` are (policy result fields, cell-only result fields), as ``harness.records.keys.key_fields``
    returns them for a resolved config: the policy key hashes the first, the cell key both
    (which fields are result fields is ``harness.records.keys``' one table)."""
    policy_part, cell_only = fields
    pkey, ckey = config_hash(dict(policy_part)), config_hash({**policy_part, **cell_only})
    stem = f"{choices.get('method', 'method')}-{choices.get('scale', 'scale')}-s{seed}"
    pname = f"{stem}-{pkey}"
    cname = f"{stem}-{choices.get('benchmark', 'bench')}-{ckey}"
    return RunDir(Path(sweep) / "policies" / pname, pkey), RunDir(Path(sweep) / "cells" / cname, ckey)
