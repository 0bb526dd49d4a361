"""The committed results pages are exactly what their records rebuild, and a drift is named."""

from __future__ import annotations

import shutil
from dataclasses import replace

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
    assert main(["--root", str(root), "--check"]) == 1  # one rebuild: it is the slow part
    out = capsys.readouterr().out
    assert "differs from a rebuild: smol_rest/index.md" in out and "smol_rest/polarization.csv" in out, out


def test_pages_built_from_another_folder_leave_the_readme_alone(tmp_path):
    """The README's headline tables sum up the committed pages only: a build from another ``--root`` (a
    scratch copy, a preview) must not rewrite them with its own (it did, with an empty list here)."""
    from harness.tools.results_pages import README

    before = README.read_bytes()
    (tmp_path / "results").mkdir()
    try:
        assert main(["--root", str(tmp_path / "results")]) == 0
        assert README.read_bytes() == before
    finally:  # a failing run must not leave the checkout's README rewritten
        README.write_bytes(before)


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


def test_the_results_index_is_rebuilt_from_the_results_folders():
    """docs/results/index.md lists every experiment folder with records, from its page.yaml and records:
    a study is listed by what its records hold, never by a hand-written status."""
    from harness.tools.results_pages import INDEX_BEGIN, INDEX_END, index_text

    committed = (RESULTS / "index.md").read_text()
    assert index_text(committed, RESULTS) == committed
    table = committed.split(INDEX_BEGIN)[1].split(INDEX_END)[0]
    assert "(graded/index.md)" in table and "(smol_rest/index.md)" in table and "[plan](graded/plan.md)" in table
    assert "running" not in table and "12 cells" in table
    stale = committed.replace("(graded/index.md)", "(graded/plan.md) (running)")
    assert index_text(stale, RESULTS) == committed
    with pytest.raises(ValueError, match="no <!-- experiments:begin"):
        index_text("# Results\n", RESULTS)


def test_a_sequential_study_page_applies_its_bounds_at_the_look_reached():
    import pandas as pd

    from harness.report.sequential import boundaries
    from harness.tools.results_pages import Outcome, Page, look_rows, outcome_rows

    # 4 paired seeds, differences 0.10, 0.11, 0.12, 0.13: t is large; looks at 2, 4, 6 pairs
    seeds = [0, 1, 2, 3]
    cells = pd.DataFrame({"method": ["f"] * 4 + ["s"] * 4, "scale": "x", "benchmark": "b", "seed": seeds * 2,
                          "m": [0.5, 0.61, 0.42, 0.83, 0.4, 0.5, 0.3, 0.7]})
    primary = Outcome("primary", "m", "b", "f", "s", mde=0.05, futility=[0.0, 1.0])
    page = Page(title="t", date="d", command="c", purpose="p", outcomes=[primary], design="paired", looks=[2, 4, 6])
    (row,) = look_rows(page, cells)
    bounds = boundaries([2 / 6, 4 / 6, 1.0])
    assert row[2] == "4" and row[3] == "2 of 3 (4)" and row[5] == f"{bounds.efficacy[1]:.3f}" and row[6] == "1.000"
    assert row[7] == "stop: detected" and float(row[8]) < 0.05
    # a 5th pair trained past look 2 (difference -0.5) changes nothing until look 3: the look reads the first 4
    late = pd.concat([cells, pd.DataFrame({"method": ["f", "s"], "scale": "x", "benchmark": "b", "seed": [9, 9],
                                           "m": [0.1, 0.6]})])
    (late_row,) = look_rows(page, late)
    assert late_row[2] == "5" and late_row[3:] == row[3:]
    (paired,) = outcome_rows([primary], cells, 0.95, "paired")
    assert "(4 pairs)" in paired[3] and paired[6] == "detected"
    (welch,) = outcome_rows([primary], cells, 0.95, "unpaired")
    assert welch[6] == "not detected"  # the same data unpaired: the seed-to-seed spread hides it
    (single,) = outcome_rows([primary], cells[cells["seed"] == 0], 0.95, "paired")
    assert "(1 pair)" in single[3] and single[6] == "n < 2" and single[7] == ""  # no test, so no size verdict
    # paired means are over the shared seeds; before a look says stop, no verdict (the looks decide)
    one_arm_more = pd.concat([cells, pd.DataFrame({"method": ["f"], "scale": "x", "benchmark": "b", "seed": [7],
                                                   "m": [0.99]})])
    (shared,) = outcome_rows([primary], one_arm_more, 0.95, "paired")
    assert shared[3] == paired[3] == "0.590 vs 0.475 (4 pairs)"
    (interim,) = outcome_rows([primary], cells, 0.95, "paired", interim=True)
    assert interim[6] == "interim" and interim[7] == "" and interim[4] == paired[4]
    from harness.tools.results_pages import running
    assert not running(page, cells)  # look 2 said stop: detected
    early = Page(title="t", date="d", command="c", purpose="p", outcomes=[primary], design="paired", looks=[5, 8])
    assert look_rows(early, cells)[0][7] == "continue" and running(early, cells)


def test_a_page_with_replay_shows_the_recorded_verdicts_replayed(tmp_path):
    from harness.tools.results_pages import Page, replay_section

    fixture = RESULTS.parent.parent / "tests" / "fixtures" / "replay"
    page = Page(title="t", date="d", command="c", purpose="p", replay=["focal"])
    lines, figs = replay_section(page, fixture, tmp_path)
    text = "\n".join(lines)
    assert "## Replay of the recorded verdicts" in text and "--method static --method focal" in text
    assert "share of advantage mass" in text and "| focal" in text
    assert sorted(f.name for f in figs) == ["replay_low_band_by_step.png", "replay_mass_by_band.png",
                                            "replay_rank_correlation.png"]
    assert all(f"![{f.stem}]({f.name})" in text for f in figs) and all(f.is_file() for f in figs)
    assert replay_section(Page(title="t", date="d", command="c", purpose="p"), fixture, tmp_path) == ([], [])
    empty = tmp_path / "none"
    (empty / "policies").mkdir(parents=True)
    assert "No policy of these records has verdicts yet." in replay_section(page, empty, tmp_path)[0]


def test_the_stopping_rule_applies_only_to_the_outcomes_marked_stops():
    import pandas as pd

    from harness.tools.results_pages import Outcome, Page, look_rows

    cells = pd.DataFrame({"method": ["f"] * 4 + ["s"] * 4, "scale": "x", "benchmark": "b", "seed": [0, 1, 2, 3] * 2,
                          "m": [0.5, 0.61, 0.42, 0.83, 0.4, 0.5, 0.3, 0.7]})
    rule = Outcome("primary", "m", "b", "f", "s", stops=True)
    control = Outcome("positive control", "m", "b", "s", "f")
    page = Page(title="t", date="d", command="c", purpose="p", outcomes=[rule, control], design="paired", looks=[2, 4])
    assert [r[0] for r in look_rows(page, cells)] == ["primary"]
    unmarked = replace(page, outcomes=[replace(rule, stops=False), control])
    assert [r[0] for r in look_rows(unmarked, cells)] == ["primary", "positive control"]
