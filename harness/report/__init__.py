"""The paper's comparison table, with the statistics it lacks, from a sweep folder's files.

``python -m harness.report runs/<sweep>`` (see :mod:`harness.report.cli`). One module per concern:

* :mod:`~harness.report.load`: result files -> :class:`Sweep` (names from ``result.json``'s ``choices``);
* :mod:`~harness.report.stats`: summaries over seeds, comparisons, unit-free pooled tests (scipy.stats);
* :mod:`~harness.report.build`: the :class:`Report` (main comparison + ``report.pairs``);
* :mod:`~harness.report.families` / :mod:`~harness.report.training`: key families and end-of-training columns,
  derived from the keys present and the ``report`` config node (no dataset's tags in the code);
* :mod:`~harness.report.render` (Markdown), :mod:`~harness.report.plots` (PNG), :mod:`~harness.report.cli`.

It reads files only: nothing from methods, evals, training or the cell runner (import-linter checks).
"""

from harness.report.build import Comparison, Report, build_report
from harness.report.cli import main, parse_args, render_text, statistics, write_report
from harness.report.families import POLARIZATION, curve_families
from harness.report.load import (
    KEYS,
    ReportError,
    Sweep,
    expected_missing,
    load_curves,
    load_sweep,
    parse_name,
    report_settings,
)
from harness.report.plots import plot_curves, plot_dimensions
from harness.report.render import (
    fmt_ci,
    md_table,
    render_comparison_table,
    render_comparisons,
    render_main_table,
    render_markdown,
    render_missing,
    render_pairs,
    render_polarization,
    render_pooled,
    render_statistics,
    render_training_end,
)
from harness.report.stats import (
    GROUP,
    Pooled,
    StatResult,
    bootstrap_mean_ci,
    cliffs_delta,
    compare,
    pool,
    sign_test,
    summarize,
    t_interval,
    wilcoxon_test,
    wins,
)
from harness.report.training import training_end

__all__ = [
    "GROUP", "KEYS", "POLARIZATION", "Comparison", "Pooled", "Report", "ReportError", "StatResult", "Sweep",
    "bootstrap_mean_ci", "build_report", "cliffs_delta", "compare", "curve_families", "expected_missing", "fmt_ci",
    "load_curves", "load_sweep", "main", "md_table", "parse_args", "parse_name", "plot_curves", "plot_dimensions",
    "pool", "render_comparison_table", "render_comparisons", "render_main_table", "render_markdown",
    "render_missing", "render_pairs", "render_polarization", "render_pooled", "render_statistics", "render_text",
    "render_training_end", "report_settings", "sign_test", "statistics", "summarize", "t_interval", "training_end", "wilcoxon_test",
    "wins", "write_report",
]
