"""The one table renderer (``tabulate``): aligned plain text for terminals, GitHub Markdown for reports.

Cells are written as given (``disable_numparse``): callers format their numbers, so ``+0.050`` or
``0.0300`` keep their sign and digits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tabulate import tabulate


def _rows(rows: Iterable[Sequence[Any]]) -> list[list[str]]:
    return [["" if c is None else str(c) for c in r] for r in rows]


def markdown(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub Markdown table (``| a | b |`` with a ``|---|`` rule), columns padded to align."""
    return tabulate(_rows(rows), headers=[str(h) for h in header], tablefmt="github", disable_numparse=True)


def plain(header: Sequence[Any] | None, rows: Iterable[Sequence[Any]]) -> str:
    """Aligned columns separated by two spaces, no rules; ``header=None`` for key/value listings."""
    body = _rows(rows)
    if header is None:
        return tabulate(body, tablefmt="plain", disable_numparse=True)
    return tabulate(body, headers=[str(h) for h in header], tablefmt="simple", disable_numparse=True)
