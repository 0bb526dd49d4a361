"""The committed results pages are exactly what their records rebuild, and a drift is named."""

from __future__ import annotations

import shutil

import pytest

from harness.tools.results_pages import RESULTS, differences, experiments, main


def test_committed_results_pages_equal_a_rebuild_from_their_records():
    with_records = sorted(p.parent.name for p in RESULTS.glob("*/page.yaml") if (p.parent / "records").is_dir())
    assert [e.name for e in experiments()] == with_records and "smol_rest" in with_records
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


def test_planned_outcomes_are_reported_as_measured():
    import pandas as pd

    from harness.tools.results_pages import Outcome, outcome_rows

    cells = pd.DataFrame({"method": ["a"] * 3 + ["s"] * 3, "scale": "x", "benchmark": "b", "seed": [0, 1, 2] * 2,
                          "m": [0.5, 0.6, 0.7, 0.1, 0.2, 0.3]})
    big, small, absent = outcome_rows([Outcome("primary", "m", "b", "a", "s", mde=0.3),
                                       Outcome("tiny", "m", "b", "a", "s", mde=0.5),
                                       Outcome("later", "m", "b", "z", "s")], cells, 0.95)
    assert big[4].startswith("+0.400 [") and big[6] == "detected" and big[7] == ">= 0.3"
    assert float(big[5]) < 0.05
    assert small[7] == "< 0.5"
    assert absent[3] == "not in the records yet"


def test_the_readme_headline_of_a_planned_study_gives_its_primary_outcome_and_control():
    """A study with a plan is summed up in the README by the outcomes the plan fixed (not by a pooled
    effect over one benchmark, which has no interval); the secondary ones stay on its page."""
    from harness.tools.results_pages import headline, report_of

    exp = RESULTS / "graded"
    text = headline(exp, report_of(exp))
    assert text.startswith("[") and "(docs/results/graded/index.md)" in text
    assert "| primary " in text and "| positive control " in text and "secondary" not in text
    assert "nan" not in text and "Welch p" in text
