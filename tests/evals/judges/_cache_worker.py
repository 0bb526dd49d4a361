"""Worker for the two-process cache test (a light module: spawned children import only this)."""

from __future__ import annotations

from evals.judges.cache import JudgeCache


def worker(path: str, me: int, n: int, shared: int) -> int:
    c = JudgeCache(path)
    for i in range(n):
        c.put(f"p{me}-{i}", {"who": me, "i": i})
        c.put(f"shared-{i % shared}", {"i": i % shared})  # both processes write the same keys
        assert c.get(f"p{me}-{i}") == {"who": me, "i": i}
    seen = sum(c.get(f"p{1 - me}-{i}") is not None for i in range(n))
    c.close()
    return seen
