"""experiment=paper_mini end to end: SmolLM2 trained by GRPO on real HealthBench rubric rows, graded
inside the loop by the real llama.cpp judge on Hard Rules and Principles, evaluated with it, reported;
then the same run again (``run.force=true``, the same seed) answered from the judge's cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import REPO_ROOT

pytestmark = pytest.mark.slow

# the smallest run that still sends both criterion kinds to the judge in training and evaluation:
# one method, one GRPO step of one prompt x 4 rollouts, one item per benchmark; the first 3 rows (4-6
# criteria each: short judge prompts; the 23-criterion rubric is tests/evals/judges/test_real_judge_long_rubric.py)
SMALL = ["experiment=paper_mini", "hydra.sweeper.params.method=focal", "train.max_steps=1", "data.limit=3",
         "train.per_device_train_batch_size=4", "train.num_generations=4", "train.max_completion_length=32",
         "eval.max_new_tokens=32", "benchmark.limit=1", "tracking=none"]


def _run(root: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess:
    """The README's command at the smallest size; no judge URL: the run starts the packaged judge itself."""
    env = {k: v for k, v in os.environ.items() if k != "LOCAL_JUDGE_URL"}
    env.update({"FOCAL_HARNESS_CACHE": str(cache), "WANDB_MODE": "offline"})
    return subprocess.run([sys.executable, "-m", "harness.sweep", *SMALL, f"run.root={root}", *extra],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1200)


def _train_rows(sweep: Path) -> list[dict]:
    (metrics,) = sweep.glob("policies/*/metrics.jsonl")
    return [json.loads(line) for line in metrics.read_text().splitlines() if '"phase": "train"' in line]


def _eval_judge(sweep: Path) -> dict[str, dict]:
    """Per benchmark: the judge's counters during its evaluation (result.json ``judge``)."""
    return {json.loads(p.read_text())["benchmark"]: json.loads(p.read_text())["judge"]
            for p in sweep.glob("cells/*/result.json")}


def test_paper_mini_trains_and_evaluates_with_the_llm_judge(tmp_path, tiny_cache):
    from omegaconf import OmegaConf

    from harness.compose import compose_sweep

    cfg, _ = compose_sweep(["experiment=paper_mini"])
    assert cfg.judge._target_.endswith("OpenAIJudge") and "evals.judges.rules" not in OmegaConf.to_yaml(cfg)
    cache = tmp_path / "cache"
    cache.mkdir()
    for p in [d for d in Path(tiny_cache).glob("smollm2_135m-*") if d.is_dir()]:  # the converted policy model
        (cache / p.name).symlink_to(p)
    first = _run(tmp_path / "runs", cache)
    assert first.returncode == 0, first.stderr[-4000:]
    sweep = tmp_path / "runs" / "paper_mini"
    train = _train_rows(sweep)[-1]
    assert train["judge/requests"] >= train["judge/judgments"] > 0  # retries of invalid replies are requests too
    assert "judge/unscorable_fraction" in train  # what stayed unscorable is counted, never a score
    assert {"satisfaction/hard_rule", "satisfaction/principle"} <= set(train)  # both kinds were judged
    assert train["reward_std"] and train["reward_std"] > 0  # the group's rewards differ: GRPO has a signal
    evals = _eval_judge(sweep)
    assert sorted(evals) == ["healthbench", "ifeval", "infobench", "writingbench"]
    judged = {b: m["judge/requests"] for b, m in evals.items() if m.get("judge/requests")}
    assert {"healthbench", "infobench", "writingbench"} <= set(judged), evals  # the judge-scored ones
    assert (sweep / "report" / "report.md").is_file()

    # the same command again with run.force=true: the same seed, so the same rollouts and answers, and
    # every judgment the first run got comes from the cache. Failures are never cached: only what the
    # first run could not score would be asked again. (The managed server still gets its liveness
    # probes, which bypass the cache by design and are no judgments.)
    again = _run(tmp_path / "runs", cache, "run.force=true")
    assert again.returncode == 0, again.stderr[-4000:]
    train2 = _train_rows(sweep)
    assert len(train2) == 1 and train2[0]["step"] == 1  # retrained from step 0, not resumed past max_steps
    assert _from_cache(train, train2[0]) and train2[0]["reward"] == train["reward"], (train, train2)
    evals2 = _eval_judge(sweep)
    assert all(_from_cache(evals[b], evals2[b]) for b in evals), (evals, evals2)


def _from_cache(first: dict, second: dict) -> bool:
    """The second run's judge counters against the first's: all the first run's judgments are cache hits,
    and it sends requests only if the first had unscorable ones (0 when every judgment was scored)."""
    return (second.get("judge/cache_hits", 0) == first.get("judge/judgments", 0)
            and (second.get("judge/requests", 0) > 0) == (first.get("judge/unscorable", 0) > 0))
