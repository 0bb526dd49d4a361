"""Persistent judge cache: SQLite in WAL mode, safe for several processes.

Keys are sha256 hex digests of everything that can change a verdict -- see
:func:`cache_key`: the key schema (``KEY_SCHEMA``), the judge model, mode, prompt
version, question, rubric JSON, response(s), and the call's ``settings``: the whole
request body the judge sends (model, messages, temperature, max_tokens,
``response_format`` with its schema and dialect, ``extra_body`` such as
``chat_template_kwargs``/``enable_thinking``, logprob options), the model id the
server says it serves, and what the reply's reader depends on. Not in it: the URL
or port (a managed server gets a fresh port each run), timeouts, retries. Entries
written under an older key schema are never read: their keys hash other payloads,
so they simply miss (and stay in the file, unused). Values are the *validated*
parsed reply as JSON (scores / rationale / weights); never the API key, never
HTTP headers. Failed calls are not cached, so a re-run retries them.

Where to put it on a cluster: the default is ``${cache_dir}/judge_cache.sqlite``
(``FOCAL_HARNESS_CACHE`` or ``~/.cache/focal-harness``). SQLite WAL needs a
filesystem with working POSIX locks and shared memory (local disk, or a shared
filesystem such as Lustre/GPFS/NFSv4 with locking enabled); all jobs of a sweep
pointing at one file on such a filesystem share judgments. Where locking is
unreliable (some NFS mounts), give each node its own file on local scratch
(``cache_path=/tmp/$SLURM_JOB_ID/judge_cache.sqlite``) and merge them afterwards
with :func:`merge` (``INSERT OR IGNORE``; entries are content-addressed, so
merging is order-independent).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS judgments (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
)


# what a key covers; bump it when that changes, so entries keyed the old way miss instead of being
# misread (v1, unversioned: model, mode, prompt version, question, rubric, responses only)
KEY_SCHEMA = "judge-key-v2"


class KeyParts(NamedTuple):
    """What one judge call is about (the judge adds its request and served model: ``OpenAIJudge.cache_key``)."""

    mode: str
    version: str
    question: str
    rubric_json: str
    responses: tuple[str, ...]


def cache_key(
    model: str,
    mode: str,
    prompt_version: str,
    question: str,
    rubric_json: str,
    responses: Sequence[str],
    settings: Mapping[str, Any] | None = None,
) -> str:
    """Content address of one judge call. The order of ``responses`` matters (pairwise A/B);
    ``settings`` (JSON-able, key order irrelevant) is everything else that changes the verdict."""
    payload = json.dumps(
        [
            KEY_SCHEMA,
            model,
            mode,
            prompt_version,
            question,
            rubric_json,
            list(responses),
            dict(settings or {}),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class JudgeCache:
    """``get``/``put`` of JSON-able dicts by key. ``path=None`` keeps an in-memory dict."""

    def __init__(self, path: str | os.PathLike[str] | None, busy_timeout_ms: int = 30_000):
        self.path = None if path is None else Path(path).expanduser()
        self.busy_timeout_ms = busy_timeout_ms
        self._lock = threading.Lock()
        self._mem: dict[str, str] = {}
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connect()

    # one connection per process (a forked child reconnects instead of sharing the parent's)
    def _connect(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            conn = sqlite3.connect(
                str(self.path),
                timeout=self.busy_timeout_ms / 1000,
                check_same_thread=False,
                isolation_level=None,
            )
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RuntimeError(f"judge cache {self.path}: could not enable WAL (got {mode!r})")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            if self.path is None:
                raw = self._mem.get(key)
            else:
                row = self._connect().execute("SELECT value FROM judgments WHERE key = ?", (key,)).fetchone()
                raw = row[0] if row else None
        return None if raw is None else json.loads(raw)

    def put(self, key: str, value: dict[str, Any]) -> None:
        raw = json.dumps(value, ensure_ascii=False, sort_keys=True)
        with self._lock:
            if self.path is None:
                self._mem[key] = raw
            else:
                self._connect().execute(
                    "INSERT OR REPLACE INTO judgments (key, value, created) VALUES (?, ?, ?)",
                    (key, raw, time.time()),
                )

    def __len__(self) -> int:
        with self._lock:
            if self.path is None:
                return len(self._mem)
            return int(self._connect().execute("SELECT COUNT(*) FROM judgments").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __getstate__(self) -> dict[str, Any]:
        """A copy (pickle, deepcopy) opens its own connection on first use."""
        state = dict(self.__dict__)
        state.update(_lock=None, _conn=None, _pid=-1)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"JudgeCache({str(self.path) if self.path else ':memory:'})"


def merge(target: str | os.PathLike[str], sources: Iterable[str | os.PathLike[str]]) -> int:
    """Copy every entry of ``sources`` into ``target`` (existing keys win). Returns rows added."""
    JudgeCache(target).close()  # create with the schema and WAL on
    conn = sqlite3.connect(str(target), timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=30000")
    before = conn.execute("SELECT COUNT(*) FROM judgments").fetchone()[0]
    for n, src in enumerate(sources):
        conn.execute(f"ATTACH DATABASE ? AS src{n}", (str(src),))
        conn.execute(f"INSERT OR IGNORE INTO judgments SELECT key, value, created FROM src{n}.judgments")
        conn.execute(f"DETACH DATABASE src{n}")
    after = conn.execute("SELECT COUNT(*) FROM judgments").fetchone()[0]
    conn.close()
    return int(after - before)
