"""The committed results pages are exactly what their records rebuild, and a drift is named."""

from __future__ import annotations

import shutil

import pytest

from harness.tools.results_pages import RESULTS, differences, experiments, main


def test_committed_results_pages_equal_a_rebuild_from_their_records():
    assert [e.name for e in experiments()] == ["smol_rest"]
    assert differences() == []


@pytest.mark.slow
def test_a_page_edited_by_hand_is_named_and_check_exits_1(tmp_path, capsys):
    root = tmp_path / "results"
    shutil.copytree(RESULTS / "smol_rest", root / "smol_rest")
    index = root / "smol_rest" / "index.md"
    index.write_text(index.read_text().replace("| smollm2_135m | static", "| smollm2_135m | statik", 1))
    (root / "smol_rest" / "polarization.csv").unlink()
    assert differences(root) == ["smol_rest/index.md", "smol_rest/polarization.csv"]
    assert main(["--root", str(root), "--check"]) == 1
    assert "differs from a rebuild: smol_rest/index.md" in capsys.readouterr().out
