"""Results pages rebuilt from committed records: ``python -m harness.tools.results_pages [--out DIR]``.

Each ``docs/results/<experiment>/`` holds ``records/`` (copied by ``python -m harness.report <sweep>
--records DIR``: finished cells and policies, no weights) and ``page.yaml`` (title, date, the command
that trained it, what it was for, the comparisons to report). This tool rebuilds every experiment's
``index.md``, CSV tables, ``statistics.json`` and plots from those two alone, so a number on a results
page is always one the records hold. It also rewrites the README's headline table (between the
``results:begin``/``results:end`` markers) from the same reports. ``--out DIR`` writes the pages
elsewhere (the test rebuilds into a temporary folder and compares); ``--check`` exits 1 and names the
files that differ from a rebuild.
"""

from __future__ import annotations

import argparse
import filecmp
import math
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from core.config import REPO_ROOT
from harness.report.build import Report, build_report
from harness.report.cli import write_report
from harness.report.load import load_sweep
from harness.report.render import render_markdown
from harness.report.stats import compare, summarize
from harness.report.tables import markdown

RESULTS = REPO_ROOT / "docs" / "results"
README = REPO_ROOT / "README.md"
BEGIN, END = "<!-- results:begin (python -m harness.tools.results_pages) -->", "<!-- results:end -->"
GENERATED = ("index.md", "*.csv", "statistics.json", "*.png")  # what a rebuild writes (and replaces)
COMPARED = ("index.md", "*.csv", "statistics.json")  # PNG bytes depend on the matplotlib build; not compared


@dataclass
class Comparison:
    target: str
    baselines: list[str]


@dataclass
class Outcome:
    """One outcome the study's plan fixed before its runs: ``metric`` of ``benchmark``, target minus
    baseline over seeds, and the minimum detectable effect the plan stated for it."""

    label: str
    metric: str
    benchmark: str
    target: str
    baseline: str
    mde: float | None = None


@dataclass
class Page:
    """``page.yaml``: what a reader needs besides the numbers (typed: a misspelt key fails here)."""

    title: str
    date: str
    command: str
    purpose: str
    comparisons: list[Comparison] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    plan: str | None = None  # the plan written before the runs (a file beside page.yaml)


def experiments(root: Path = RESULTS) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "page.yaml").is_file() and (p / "records").is_dir())


def read_page(exp: Path) -> Page:
    raw = OmegaConf.merge(OmegaConf.structured(Page), OmegaConf.load(exp / "page.yaml"))
    return OmegaConf.to_object(raw)  # type: ignore[return-value]


def report_of(exp: Path) -> Report:
    page = read_page(exp)
    first, *rest = page.comparisons
    return build_report(load_sweep(exp / "records"), first.target, first.baselines, n_resamples=10_000, seed=0,
                        pairs=[[c.target, c.baselines[0]] for c in rest])


def headline(exp: Path, rep: Report) -> str:
    """The page's title and its headline table: the outcomes its plan fixed before the runs (the
    secondary ones left to the page), or, for a page without a plan, one row per comparison with
    the pooled, unit-free statistics over every (scale, benchmark)."""
    page = read_page(exp)
    title = f"[{page.title}](docs/results/{exp.name}/index.md)"
    planned = [o for o in page.outcomes if not o.label.startswith("secondary")]
    if planned:
        return "\n".join([title, "", markdown(outcome_head(rep.confidence),
                                              outcome_rows(planned, rep.sweep.cells, rep.confidence))])
    rows = []
    for c in [rep.main_comparison, *rep.pairs]:
        w, ties, n = c.pooled.wins
        bt, sign = c.pooled.bootstrap, c.pooled.sign
        if n == 0:
            rows.append([f"{c.target} vs {'/'.join(c.baselines)}", "not in the records yet", "", ""])
            continue
        effect = ("n/a (needs >= 2 comparisons)" if math.isnan(bt.low)
                  else f"{bt.statistic:+.2f} [{bt.low:+.2f}, {bt.high:+.2f}]")
        rows.append([f"{c.target} vs {'/'.join(c.baselines)}", f"{w} / {ties} / {n - w - ties}", f"{sign.pvalue:.2g}",
                     effect])
    return "\n".join([title, "", markdown(["comparison", "wins / ties / losses", "sign p",
                                             f"Cliff's δ, mean [{round(rep.confidence * 100)} % bootstrap CI]"], rows)])


def readme_with_headlines(text: str, blocks: list[str]) -> str:
    head, rest = text.split(BEGIN, 1)
    return head + BEGIN + "\n" + "\n\n".join(blocks) + "\n" + END + rest.split(END, 1)[1]


def outcome_head(confidence: float) -> list[str]:
    return ["outcome", "comparison", "metric", "means (seeds)", f"difference [{round(confidence * 100)} % Welch CI]",
            "Welch p", "verdict", "vs the plan's MDE"]


def outcome_rows(outcomes: Sequence[Outcome], cells: pd.DataFrame, confidence: float) -> list[list[str]]:
    """Each planned outcome as measured: means, difference, Welch interval and p (the report's test), and
    whether it is detected (p < 0.05) and at least the plan's minimum detectable effect."""
    rows = []
    for o in outcomes:
        sub = cells[cells["benchmark"] == o.benchmark]
        cmp = compare(summarize(sub, o.metric, confidence), sub, o.target, [o.baseline], o.metric, confidence)
        if cmp.empty:
            rows.append([o.label, f"{o.target} vs {o.baseline}", f"`{o.metric}`", "not in the records yet",
                         "", "", "", ""])
            continue
        c = cmp.iloc[0]
        ci = f"[{c.delta_ci_low:+.3f}, {c.delta_ci_high:+.3f}]" if not math.isnan(c.delta_ci_low) else "(n < 2)"
        p = c.welch_p
        verdict = "n < 2" if math.isnan(p) else ("detected" if p < 0.05 else "not detected")
        size = "" if o.mde is None else (f"{'>=' if abs(c.delta) >= o.mde else '<'} {o.mde:g}")
        rows.append([o.label, f"{o.target} vs {o.baseline}", f"`{o.metric}`",
                     f"{c.target_mean:.3f} vs {c.baseline_mean:.3f} (n {c.target_n}, {c.baseline_n})",
                     f"{c.delta:+.3f} {ci}", "" if math.isnan(p) else f"{p:.2g}", verdict, size])
    return rows


def outcome_section(page: Page, rep: Report) -> list[str]:
    if not page.outcomes:
        return []
    plan = f"[the plan]({page.plan}) (committed before the first run)" if page.plan else "the plan"
    head = outcome_head(rep.confidence)
    return ["", "## Outcomes fixed by the plan", "", f"The outcomes as {plan} states them, each as measured.", "",
            markdown(head, outcome_rows(page.outcomes, rep.sweep.cells, rep.confidence)), ""]


def build_page(exp: Path, out: Path, rep: Report | None = None) -> list[Path]:
    """Rebuild one experiment's page into ``out`` (its records stay where they are)."""
    page = read_page(exp)
    rep = rep or report_of(exp)
    out.mkdir(parents=True, exist_ok=True)
    for pattern in GENERATED:
        for stale in out.glob(pattern):
            stale.unlink()
    files = [f for f in write_report(rep, out) if f.name != "report.md"]
    figs = [f for f in files if f.suffix == ".png"]
    (out / "report.md").unlink()
    body = render_markdown(rep, figs).split("\n", 1)[1]  # its own title names the records folder
    header = [f"# {page.title}", "", f"*Trained {page.date}; rebuilt from `records/` by "
              "`python -m harness.tools.results_pages`.*", "", page.purpose.strip(), "",
              "```bash", page.command.strip(), "```", *outcome_section(page, rep)]
    (out / "index.md").write_text("\n".join(header) + "\n" + body)
    return [out / "index.md", *files]


def build_all(root: Path = RESULTS, out: Path | None = None, readme: Path | None = README) -> dict[str, list[Path]]:
    """Every page (into ``out`` or beside its records) and, when ``readme`` is given, its headline table."""
    files, blocks = {}, []
    for exp in experiments(root):
        rep = report_of(exp)
        files[exp.name] = build_page(exp, (out or root) / exp.name, rep)
        blocks.append(headline(exp, rep))
    if readme is not None:
        readme.write_text(readme_with_headlines(readme.read_text(), blocks))
    return files


def differences(root: Path = RESULTS) -> list[str]:
    """Files of the committed pages that a rebuild changes (or adds, or drops)."""
    with tempfile.TemporaryDirectory() as tmp:
        readme = Path(tmp) / "README.md"
        if root == RESULTS:
            shutil.copy(README, readme)
        build_all(root, Path(tmp), readme if root == RESULTS else None)
        diff = [] if root != RESULTS or filecmp.cmp(readme, README, shallow=False) else ["README.md"]
        for exp in experiments(root):
            new, old = Path(tmp) / exp.name, exp
            names = {p.name for pat in COMPARED for d in (new, old) for p in d.glob(pat)}
            diff += [f"{exp.name}/{n}" for n in sorted(names)
                     if not ((new / n).is_file() and (old / n).is_file() and filecmp.cmp(new / n, old / n, shallow=False))]
        return diff


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.tools.results_pages", description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=RESULTS, help="the results folder (default docs/results)")
    ap.add_argument("--out", type=Path, default=None, help="write the pages here instead of beside their records")
    ap.add_argument("--check", action="store_true", help="rebuild into a temporary folder; exit 1 if anything differs")
    args = ap.parse_args(argv)
    if args.check:
        diff = differences(args.root)
        print("\n".join(f"differs from a rebuild: {d}" for d in diff) or "results pages equal a rebuild")
        return 1 if diff else 0
    for name, files in build_all(args.root, args.out).items():
        print(f"{name}: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
