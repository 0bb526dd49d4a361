"""harness.cell.glibc_heap.keep_freed_memory: applied on glibc, a no-op (False, no crash) where libc has no mallopt.
Whether it speeds a step up is measured by perf/cpu_allocator.py, not asserted here."""

from __future__ import annotations

import ctypes

from harness.cell import glibc_heap as cpu


def test_applies_on_glibc():
    assert cpu.keep_freed_memory() is True


def test_no_mallopt_is_a_quiet_no_op(monkeypatch):
    def no_libc(*a, **k):
        raise OSError("no libc here")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert cpu.keep_freed_memory() is False
