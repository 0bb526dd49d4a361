"""Held-out split of the training rubric data (``data=toy`` by default), scored with the configured judge.

The items are the ``data.heldout_fraction`` share of the sweep's own data config that
training never sees (``core.data.load_training_examples``), so the score measures how
well the trained policy meets those rubrics on unseen prompts. In a sweep cell the
benchmark's ``source`` node interpolates the root config's ``data``; stand-alone
(``python -m harness.evaluate``) it falls back to the bundled toy data with a 25 % split.

Metrics: ``rubric_score`` (primary; mean over items of the mean normalized criterion
score, pitfalls oriented so 1 is good), ``worst_criterion`` (lowest mean satisfaction of
any criterion, grouped by its ``crit:*`` tag or else its text), ``hard_rule_pass_rate``;
dimensions: mean satisfaction per criterion tag (axis, ``level:*``, ``crit:*``; the
catch-all tag ``all`` is left out); polarization as everywhere (worst dimension, spread,
severe-deficiency rate = share of responses with a failed hard rule or a principle <= 2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from core.registry import component
from core.rubric import Example
from evals.benchmarks.base import (
    Benchmark,
    BenchResult,
    is_severe,
    polarization,
    run_judge,
    sample,
    strict_complete,
)
from evals.judges.base import Judge, JudgeRequest, normalize

DEFAULT_DATA = {"name": "toy", "path": "assets:toy.jsonl", "hub_id": None, "split": "train", "format": "harness",
                "limit": None, "heldout_fraction": 0.25}


@component("benchmark", "toy_heldout")  # the config schema is the constructor's signature
class ToyHeldout(Benchmark):
    name = "toy_heldout"
    primary = "rubric_score"

    # source: a data config (conf/data/*.yaml); None -> the bundled toy data, 25 % held out
    def __init__(self, source: Mapping[str, Any] | None = None, limit: int | None = None) -> None:
        super().__init__(limit)
        from omegaconf import OmegaConf

        d = dict(DEFAULT_DATA)
        if source is not None:
            d.update(OmegaConf.to_container(source, resolve=True) if OmegaConf.is_config(source) else dict(source))
        self.data = OmegaConf.create(d)

    def load(self) -> list[Example]:
        from core.data import load_training_examples

        if not float(self.data.heldout_fraction) > 0:
            raise ValueError(f"toy_heldout: data '{self.data.name}' has heldout_fraction=0: no held-out items "
                             "(set data.heldout_fraction, e.g. 0.25)")
        _, held = load_training_examples(self.data)
        return held[: self.limit] if self.limit else held

    def score(self, items: Sequence[Example], responses: Sequence[str], judge: Judge) -> BenchResult:
        if not items:
            raise ValueError("toy_heldout: no items to score")
        from core.scores import met, oriented

        js = run_judge(judge, [JudgeRequest(e.question, e.rubric, r) for e, r in zip(items, responses, strict=True)],
                       desc="judging toy_heldout")
        per_item, per_tag, per_crit = [], defaultdict(list), defaultdict(list)
        hard = []
        samples = []
        for e, r, j in zip(items, responses, js, strict=True):
            v = oriented(normalize(j.scores, e.rubric.kinds), e.rubric)
            per_item.append(float(np.nanmean(v)) if np.any(~np.isnan(v)) else float("nan"))
            for c, x in zip(e.rubric.criteria, v, strict=True):
                if np.isnan(x):
                    continue
                for t in c.tags:
                    if t != "all":
                        per_tag[t].append(float(x))
                crit = next((t for t in c.tags if t.startswith("crit:")), c.text)
                per_crit[crit].append(float(x))
                if c.kind == "hard_rule":
                    hard.append(float(met(float(x))))
            samples.append(sample(e, r, j, rubric_score=per_item[-1]))
        dims = {t: float(np.mean(v)) for t, v in sorted(per_tag.items())}
        crit_means = {k: float(np.mean(v)) for k, v in per_crit.items()}
        severe = [is_severe(j, e.rubric.kinds) for e, j in zip(items, js, strict=True)]
        complete = [strict_complete(j, e.rubric) for e, j in zip(items, js, strict=True)]
        return BenchResult(
            metrics={
                "rubric_score": float(np.nanmean(per_item)),
                "worst_criterion": min(crit_means.values()) if crit_means else float("nan"),
                "hard_rule_pass_rate": float(np.mean(hard)) if hard else float("nan"),
            },
            dimensions=dims,
            polarization=polarization(dims, severe, complete),
            samples=samples,
        )
