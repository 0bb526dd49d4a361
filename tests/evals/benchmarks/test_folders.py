"""One folder per benchmark: its code, metric, lm-eval task, samples and README live in
``evals/benchmarks/<name>/``, and a preset's ``fixtures:`` paths resolve there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.config import CONF_DIR
from evals.benchmarks.base import BENCHMARKS, shipped
from evals.benchmarks.suite import benchmark_classes


@pytest.mark.parametrize("name", sorted(benchmark_classes()))
def test_each_benchmark_is_one_folder_with_a_readme_that_names_its_files(name):
    cls = benchmark_classes()[name]
    folder = BENCHMARKS / name
    assert cls.__module__ == f"evals.benchmarks.{name}", "the registered class lives in the folder's __init__.py"
    assert (folder / "metrics.py").is_file() == bool(cls.metrics)  # an official metric has its own module
    assert (folder / "task.yaml").is_file() == bool(cls.metrics)  # ... and an lm-eval task
    readme = (folder / "README.md").read_text()
    assert f"`{cls.primary}`" in readme, "the README names the primary metric"
    # the docs site's Reference > Benchmarks index (docs/gen_reference.py) quotes its title and its Measures
    assert readme.startswith("# ") and "\n**Measures** " in readme, f"{name}/README.md: '# Title', then '**Measures** ...'"
    samples = sorted(p.relative_to(folder).as_posix() for p in (folder / "fixtures").rglob("*") if p.is_file())
    missing = [s for s in samples if f"`{s}`" not in readme]
    assert not missing, f"{name}/README.md says nothing of {missing} (source and license of each sample)"


def test_fixtures_scheme_resolves_into_the_benchmark_folder(tmp_path):
    assert shipped("fixtures:ifeval/real/input_data.jsonl") == str(
        BENCHMARKS / "ifeval" / "fixtures" / "real" / "input_data.jsonl")
    assert shipped(str(tmp_path / "x.jsonl")) == str(tmp_path / "x.jsonl")  # any other path: as given
    assert shipped("ifeval/real/input_data.jsonl") == "ifeval/real/input_data.jsonl"


def test_every_fixtures_path_in_conf_names_a_shipped_file():
    paths = []
    for p in sorted(CONF_DIR.rglob("*.yaml")):
        paths += [(p.name, m) for m in re.findall(r"fixtures:[\w./-]+", p.read_text())]
    assert len(paths) >= 8
    missing = [(f, m) for f, m in paths if not Path(shipped(m)).is_file()]
    assert not missing
