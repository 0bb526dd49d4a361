"""Evaluate any checkpoint without training: ``python -m harness.evaluate model=<path|hub id|tiny> benchmark=<name|all>``.

Writes the same records as a sweep cell (config.yaml, metrics.jsonl, samples.jsonl,
result.json written atomically, a completion marker keyed by the config hash) under
``<run.root>/<run.sweep>/evals/<model>-<benchmark>-<hash>/``. A finished evaluation
is skipped unless ``run.force=true``. Thin on purpose: Hydra composes
``conf/evaluate.yaml``; ``run_evaluation`` does the work and is testable without Hydra's main.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig

from harness.compose import CONF_DIR, register
from harness.records.store import RunDir, config_hash, sweep_dir, to_container

os.environ.setdefault("WANDB_SILENT", "true")
register()  # the schemas, before Hydra's main composes


def model_slug(model: str) -> str:
    """A short folder-safe name: ``tiny``, ``Qwen--Qwen3-1.7B``, ``<parent>--<checkpoint dir>``."""
    p = Path(model)
    parts = p.parts[-2:] if (p.exists() or model.startswith(("/", "."))) else model.split("/")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", "--".join(x for x in parts if x not in ("/", ""))) or "model"


def eval_dir(cfg: DictConfig, name: str, bench_cfg: DictConfig) -> RunDir:
    from harness.records.keys import key_fields

    full = to_container(cfg)
    # result fields only (harness.records.keys): a judge server on another node reuses the evaluation
    policy, cell = key_fields({"judge": full.get("judge"), "seed": full.get("seed"), "eval": full.get("eval"),
                               "benchmark": to_container(bench_cfg)})
    key = config_hash({"model": cfg.model, **policy, **cell})
    root = sweep_dir(cfg.run) / "evals"
    return RunDir(root / f"{model_slug(str(cfg.model))}-{name}-{key}", key)


def _rooted(cfg: DictConfig, bcfg: DictConfig) -> DictConfig:
    """The member's config with its interpolations resolved against the root config."""
    import copy

    from omegaconf import OmegaConf, open_dict

    root = copy.deepcopy(cfg)
    with open_dict(root):
        root.benchmark = bcfg
    return OmegaConf.create(to_container(root.benchmark))


def run_evaluation(cfg: DictConfig, choices: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Evaluate ``cfg.model`` on ``cfg.benchmark`` (one or a suite); one result dict per benchmark."""
    from evals.evaluation import benchmark_configs, evaluate, load_lm, preflight
    from harness.models.resolve import resolve_model
    from harness.records.tracking import recording, write_outputs

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    choices = dict(choices or {})
    judge = instantiate(cfg.judge)
    members = benchmark_configs(cfg.benchmark)
    # every benchmark loads and passes the judge's checks before any model is built, loaded or file written
    benches = {name: instantiate(bcfg) for name, bcfg in members}
    items = {name: preflight(b, judge) for name, b in benches.items()}
    model_path = resolve_model(str(cfg.model), cfg.cache_dir)
    lm = None
    results = []
    for k, (name, bcfg) in enumerate(members, start=1):
        bcfg = _rooted(cfg, bcfg)  # interpolations (toy_heldout's source = the root's data) resolve here
        rd = eval_dir(cfg, name, bcfg)
        if rd.done() and not cfg.run.force:
            res = rd.read_result()
            res["skipped"] = True
            results.append(res)
            print(f"[{k}/{len(members)}] {name}: already complete (run.force=true re-runs)", flush=True)
            continue
        print(f"[{k}/{len(members)}] {name} -> {rd.path}", flush=True)
        t0 = time.time()
        if lm is None:
            scale = cfg.get("scale") or {}  # a reasoning model's thinking mode, as in training
            lm = load_lm(model_path, backend=cfg.eval.backend, batch_size=cfg.eval.batch_size,
                         thinking=scale.get("thinking"), think_end_token=scale.get("think_end_token", "</think>"))
        tags = [f"model:{model_slug(str(cfg.model))}", f"benchmark:{name}",
                f"judge:{choices.get('judge', 'judge')}", "job:evaluate"]
        # an unfinished earlier attempt's mirror and samples go: evaluated afresh
        with recording(rd, {**to_container(cfg), "benchmark": to_container(bcfg)}, name=f"eval/{rd.path.name}",
                       job_type="eval", tags=tags, run_id=f"evaluate-{rd.key}", summary=("score",), started=t0,
                       clear="all") as rec:
            ev = evaluate(benches[name], lm, judge, cfg.eval.max_new_tokens, cfg.eval.temperature, items=items[name],
                          think_end_token=(cfg.get("scale") or {}).get("think_end_token", "</think>"))
            write_outputs(ev, rec.tracker, step=0)
            rec.result = {
                "cell": rd.path.name, "cell_dir": str(rd.path), "key": rd.key, "model": str(cfg.model),
                "model_path": model_path, "choices": {**choices, "benchmark": name}, "seed": int(cfg.seed),
                **ev.record(), "judge_stats": judge.stats(), "gen_time_s": ev.gen_time_s,
                "judge_time_s": ev.judge_time_s,
            }
        results.append(rec.result)
    return results


def summary_table(results: Sequence[Mapping[str, Any]]) -> str:
    from harness.report.tables import plain

    rows = []
    for r in results:
        m = r["metrics"]
        rows.append((r["benchmark"], str(r["n_items"]), r["primary"], f"{r['score']:.4f}",
                     _fmt(m.get("polarization/worst_dimension")), _fmt(m.get("polarization/severe_deficiency_rate")),
                     str(Path(r["cell_dir"]) / "result.json") + (" (skipped)" if r.get("skipped") else "")))
    return plain(("benchmark", "items", "primary metric", "score", "worst dim", "severe rate", "result"), rows)


def _fmt(x: Any) -> str:
    return "-" if x is None else f"{x:.4f}"


@hydra.main(version_base=None, config_path=str(CONF_DIR), config_name="evaluate")
def main(cfg: DictConfig) -> list[dict[str, Any]]:
    from core.rubric import RubricFormatError
    from evals.benchmarks.base import BenchmarkCheckError
    from harness.models.judge_run import JudgeUnavailable, judge_for_run

    choices = {k: str(v) for k, v in HydraConfig.get().runtime.choices.items() if not k.startswith("hydra")}
    try:
        with judge_for_run(cfg):  # serve (judge.managed) and probe the judge before any model or file
            results = run_evaluation(cfg, choices)
    except (RubricFormatError, BenchmarkCheckError, FileNotFoundError, JudgeUnavailable) as e:  # bad input: one line, no traceback
        print(f"error: {e}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    print("\n" + summary_table(results), flush=True)
    return results


if __name__ == "__main__":
    main()
