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
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from core.config import REPO_ROOT
from harness.report.build import Report, build_report
from harness.report.cli import write_report
from harness.report.load import load_sweep
from harness.report.render import render_markdown
from harness.report.sequential import boundaries, decide, look_of, metric_column, run_test
from harness.report.tables import markdown

RESULTS = REPO_ROOT / "docs" / "results"
README = REPO_ROOT / "README.md"
BEGIN, END = "<!-- results:begin (python -m harness.tools.results_pages) -->", "<!-- results:end -->"
INDEX_BEGIN, INDEX_END = "<!-- experiments:begin (python -m harness.tools.results_pages) -->", "<!-- experiments:end -->"
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
    futility: list[float] = field(default_factory=list)  # the plan's non-binding futility bounds (z), per look
    stops: bool = False  # the stopping rule is applied to it (if no outcome says so: to every non-secondary one)


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
    short: str | None = None  # the link text in the results index (default: the title)
    summary: str = ""  # what it compares, one line of the results index
    design: str = "unpaired"  # the outcomes' test: paired (t over shared seeds) or unpaired (Welch)
    looks: list[int] = field(default_factory=list)  # planned looks (seed pairs): a group-sequential study
    boundary: str = "ld-obf"  # its efficacy bounds (harness.report.sequential)
    alpha: float = 0.05
    replay: list[str] = field(default_factory=list)  # methods replayed on the records' verdicts (harness.tools.replay)
    replay_noise: float | None = None  # and on verdicts perturbed at this rate


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
        rows = outcome_rows(planned, rep.sweep.cells, rep.confidence, page.design, running(page, rep.sweep.cells))
        return "\n".join([title, "", markdown(outcome_head(rep.confidence, page.design), rows)])
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
    return "\n".join([title, "", markdown(["comparison", "Cliff's δ > 0 / = 0 / < 0", "sign p",
                                             f"Cliff's δ, mean [{round(rep.confidence * 100)} % bootstrap CI]"], rows)])


def readme_with_headlines(text: str, blocks: list[str]) -> str:
    head, rest = text.split(BEGIN, 1)
    return head + BEGIN + "\n" + "\n\n".join(blocks) + "\n" + END + rest.split(END, 1)[1]


TESTS = {"unpaired": "Welch", "paired": "paired t"}


def outcome_head(confidence: float, design: str = "unpaired") -> list[str]:
    test = TESTS[design]
    return ["outcome", "comparison", "metric", "means (seeds)", f"difference [{round(confidence * 100)} % {test} CI]",
            f"{test} p", "verdict", "vs the plan's MDE"]


def seed_values(cells: pd.DataFrame, o: Outcome, paired: bool = False) -> tuple[dict[int, float], dict[int, float]]:
    """{seed: value} of the outcome's metric for its target and baseline (NaN-free; ``paired``: only the
    seeds both have, in seed order)."""
    sub = cells[cells["benchmark"] == o.benchmark]
    values = metric_column(sub, o.metric)
    if values is None:
        return {}, {}
    sub = sub.assign(_outcome=values)
    out = []
    for arm in (o.target, o.baseline):
        g = sub[sub["method"] == arm].dropna(subset=["_outcome"])
        out.append({int(k): float(v) for k, v in g.groupby("seed")["_outcome"].mean().items()})
    if paired:
        shared = sorted(set(out[0]) & set(out[1]))
        out = [{k: arm[k] for k in shared} for arm in out]
    return out[0], out[1]


def outcome_rows(outcomes: Sequence[Outcome], cells: pd.DataFrame, confidence: float,
                 design: str = "unpaired", interim: bool = False) -> list[list[str]]:
    """Each planned outcome as measured by the plan's test (Welch over seeds, or a paired t over the seeds
    both arms share, its means over those seeds too): means, difference, interval and p, whether it is
    detected (p < 0.05) and at least the plan's minimum detectable effect. ``interim``: a sequential
    study that has not stopped, so no outcome has a verdict yet (its looks decide)."""
    rows = []
    for o in outcomes:
        a, b = seed_values(cells, o, paired=design == "paired")
        if not a or not b:
            rows.append([o.label, f"{o.target} vs {o.baseline}", f"`{o.metric}`", "not in the records yet",
                         "", "", "", ""])
            continue
        t = run_test(a, b, design, confidence)
        ci = f"[{t.low:+.3f}, {t.high:+.3f}]" if not math.isnan(t.low) else "(n < 2)"
        verdict = ("n < 2" if math.isnan(t.p) else "interim" if interim
                   else "detected" if t.p < 0.05 else "not detected")
        size = ("" if o.mde is None or math.isnan(t.p) or interim
                else f"{'>=' if abs(t.delta) >= o.mde else '<'} {o.mde:g}")
        n = f"{t.n} pair{'s' * (t.n != 1)}" if design == "paired" else f"n {len(a)}, {len(b)}"
        rows.append([o.label, f"{o.target} vs {o.baseline}", f"`{o.metric}`",
                     f"{np.mean(list(a.values())):.3f} vs {np.mean(list(b.values())):.3f} ({n})",
                     f"{t.delta:+.3f} {ci}", "" if math.isnan(t.p) else f"{t.p:.2g}", verdict, size])
    return rows


def outcome_section(page: Page, rep: Report) -> list[str]:
    if not page.outcomes:
        return []
    plan = f"[the plan]({page.plan}) (committed before the first run)" if page.plan else "the plan"
    head = outcome_head(rep.confidence, page.design)
    interim = running(page, rep.sweep.cells)
    note = (" The study has not stopped, so every verdict reads *interim*: its p is unadjusted and decides "
            "nothing; the sequential looks below decide." if interim else "")
    return ["", "## Outcomes fixed by the plan", "", f"The outcomes as {plan} states them, each as measured.{note}",
            "", markdown(head, outcome_rows(page.outcomes, rep.sweep.cells, rep.confidence, page.design, interim)), "",
            *looks_section(page, rep.sweep.cells)]


def running(page: Page, cells: pd.DataFrame) -> bool:
    """A sequential study none of whose looks has said stop yet: its outcomes are interim."""
    return bool(page.looks) and not any(row[7].startswith("stop") for row in look_rows(page, cells))


def look_rows(page: Page, cells: pd.DataFrame) -> list[list[str]]:
    """Each outcome the stopping rule applies to (``stops``; else each not secondary) at the look its seed pairs have reached: the test's z, the
    bounds of that look, the decision, and the difference detectable at this n (paired t, power 0.8).

    A paired look analyses the first ``looks[k]`` seed pairs (by seed), as planned, so pairs trained past
    a look (a sweep that ran on before the look was read) change nothing until the next look."""
    from harness.tools.plan import mde_paired

    rows = []
    ruled = [o for o in page.outcomes if o.stops] or [o for o in page.outcomes if not o.label.startswith("secondary")]
    for o in ruled:
        a, b = seed_values(cells, o, paired=page.design == "paired")
        t = run_test(a, b, page.design)
        pairs = t.n
        k = look_of(t.n, page.looks)
        if k is None:
            rows.append([o.label, f"`{o.metric}`", str(t.n), f"before look 1 ({page.looks[0]})", "", "", "", "continue",
                         ""])
            continue
        if page.design == "paired" and t.n > page.looks[k]:
            first = list(a)[: page.looks[k]]  # the shared seeds, in seed order
            a, b = {s: a[s] for s in first}, {s: b[s] for s in first}
            t = run_test(a, b, page.design)
        frac = [x / page.looks[-1] for x in page.looks]
        frac[k] = min(t.n, page.looks[-1]) / page.looks[-1]
        bounds = boundaries(frac, page.alpha, page.boundary)
        fut = tuple(o.futility) + (math.nan,) * (len(bounds.efficacy) - len(o.futility))
        bounds = replace(bounds, futility=fut[: len(bounds.efficacy)])
        sd = float(np.std([a[s] - b[s] for s in sorted(set(a) & set(b))], ddof=1)) if t.n >= 2 else math.nan
        mde = mde_paired(sd, t.n, page.alpha) if page.design == "paired" else math.nan
        f = bounds.futility[k]
        rows.append([o.label, f"`{o.metric}`", str(pairs), f"{k + 1} of {len(page.looks)} ({page.looks[k]})",
                     "n/a" if math.isnan(t.z) else f"{t.z:+.3f}", f"{bounds.efficacy[k]:.3f}",
                     "-" if math.isnan(f) else f"{f:.3f}", decide(t.z, k, bounds),
                     "n/a" if math.isnan(mde) else f"{mde:.3f}"])
    return rows


def looks_section(page: Page, cells: pd.DataFrame) -> list[str]:
    if not page.looks:
        return []
    head = ["outcome", "metric", "pairs" if page.design == "paired" else "seeds (smaller arm)", "look (planned pairs)",
            f"z ({TESTS[page.design]})", "efficacy |z| >=", "futility z <=", "decision", "detectable at this n"]
    return ["## Sequential looks", "",
            f"Looks planned at {', '.join(map(str, page.looks))} seed pairs; {page.boundary} efficacy bounds "
            f"(two-sided alpha {page.alpha:g}, `harness.report.sequential`), futility bounds as the plan fixed them "
            "(non-binding). The z is the test's statistic turned into the normal quantile with the same p.", "",
            markdown(head, look_rows(page, cells)), ""]


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
    replayed, replay_figs = replay_section(page, exp / "records", out)
    header = [f"# {page.title}", "", f"*Trained {page.date}; rebuilt from `records/` by "
              "`python -m harness.tools.results_pages`.*", "", page.purpose.strip(), "",
              "```bash", page.command.strip(), "```", *outcome_section(page, rep), *replayed]
    (out / "index.md").write_text("\n".join(header) + "\n" + body)
    return [out / "index.md", *files, *replay_figs]


def replay_section(page: Page, records: Path, out: Path) -> tuple[list[str], list[Path]]:
    """``page.replay``: the methods replayed on the recorded verdicts of the page's policies (where credit
    goes, without training), its tables and its figures (``replay_*.png``)."""
    if not page.replay:
        return [], []
    from harness.tools import replay as R
    from harness.tools import replay_report

    policies, without = R.load(records) if any((records / "policies").glob("*")) else ([], [])
    if not policies:
        return ["", "## Replay of the recorded verdicts", "", "No policy of these records has verdicts yet."], []
    specs = list(dict.fromkeys(["static", *page.replay]))
    clean, noisy, check = R.replay(policies, specs, page.replay_noise, note=lambda _: None)
    figs = []
    for f in replay_report.plot(policies, clean, out):
        figs.append(f.rename(out / f"replay_{f.name}"))
    cmd = f"python -m harness.tools.replay {records.name}/" + "".join(f" --method {m}" for m in specs) + (
        f" --noise {page.replay_noise:g}" if page.replay_noise else "")
    gone = f" ({len(without)} without verdicts left out)" if without else ""
    return ["", "## Replay of the recorded verdicts", "",
            f"Every method below replayed on the verdicts the judge gave this study's policies{gone}: where each "
            "routes the advantage on the same rollouts, without training anything (`" + cmd + "`).", "",
            replay_report.render(policies, clean, noisy, check, page.replay_noise), "",
            *(f"![{f.stem}]({f.name})" for f in figs)], figs


def index_rows(root: Path) -> list[list[str]]:
    """One row per experiment folder: its page, what it compares, what its records hold, its plan."""
    rows = []
    for exp in experiments(root):
        page = read_page(exp)
        sweep = load_sweep(exp / "records")
        what = page.summary.strip() or "; ".join(f"{c.target} vs {'/'.join(c.baselines)}" for c in page.comparisons)
        seeds = sweep.cells.groupby("method")["seed"].nunique()
        held = f"{len(sweep.cells)} cells; seeds per method: " + ", ".join(f"{m} {n}" for m, n in seeds.items())
        plan = f"[plan]({exp.name}/{page.plan})" if page.plan else ""
        rows.append([f"[{page.short or page.title}]({exp.name}/index.md)", what, held, plan])
    return rows


def index_text(text: str, root: Path) -> str:
    """The results index with its experiments table rebuilt between its markers."""
    if INDEX_BEGIN not in text or INDEX_END not in text:
        raise ValueError(f"{root / 'index.md'}: no {INDEX_BEGIN} ... {INDEX_END} markers")
    table = markdown(["experiment", "what it compares", "records", "plan"], index_rows(root))
    head, rest = text.split(INDEX_BEGIN, 1)
    return head + INDEX_BEGIN + "\n" + table + "\n" + INDEX_END + rest.split(INDEX_END, 1)[1]


def build_all(root: Path = RESULTS, out: Path | None = None, readme: Path | None = README) -> dict[str, list[Path]]:
    """Every page (into ``out`` or beside its records), the results index (``index.md`` of ``root``, when it
    has one) and, when ``readme`` is given, its headline table."""
    files, blocks = {}, []
    for exp in experiments(root):
        rep = report_of(exp)
        files[exp.name] = build_page(exp, (out or root) / exp.name, rep)
        blocks.append(headline(exp, rep))
    if (root / "index.md").is_file():
        (out or root).mkdir(parents=True, exist_ok=True)
        ((out or root) / "index.md").write_text(index_text((root / "index.md").read_text(), root))
    if readme is not None:
        readme.write_text(readme_with_headlines(readme.read_text(), blocks))
    return files


def differences(root: Path = RESULTS) -> list[str]:
    """Files of the committed pages (and the results index) that a rebuild changes (or adds, or drops)."""
    with tempfile.TemporaryDirectory() as tmp:
        readme = Path(tmp) / "README.md"
        if root == RESULTS:
            shutil.copy(README, readme)
        build_all(root, Path(tmp), readme if root == RESULTS else None)
        diff = [] if root != RESULTS or filecmp.cmp(readme, README, shallow=False) else ["README.md"]
        if (root / "index.md").is_file() and not filecmp.cmp(Path(tmp) / "index.md", root / "index.md", shallow=False):
            diff.append("index.md")
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
    own = args.root.resolve() == RESULTS.resolve() and args.out is None  # the README heads the committed pages only
    for name, files in build_all(args.root, args.out, README if own else None).items():
        print(f"{name}: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
