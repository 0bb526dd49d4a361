"""Base rate of every criterion on the untrained model: ``python -m harness.tools.base_rates data=instruct scale=smollm2_135m``.

Measured before any method is compared, so the data's bands (met almost always / sometimes /
rarely) are facts about the model, not hopes. Generation goes through the evaluation path
(lm-eval ``hf``, chat template): greedy once and ``train.num_generations`` samples at
``train.temperature``, ``train.max_completion_length`` new tokens, as in training. Every
prompt of the data (train and held out) counts; the table groups by the ``crit:*`` tag.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from hydra.utils import instantiate

from core.data import load_training_examples
from core.scores import oriented
from evals.judges.base import JudgeRequest, normalize


def criterion_rates(examples, responses: Sequence[Sequence[str]], judge) -> dict[str, list[float]]:
    """crit name -> normalized scores over every (example, response); ``responses[i]`` belong to example i."""
    reqs, owners = [], []
    for e, rs in zip(examples, responses, strict=True):
        for r in rs:
            reqs.append(JudgeRequest(e.question, e.rubric, r))
            owners.append(e)
    out: dict[str, list[float]] = defaultdict(list)
    for e, j in zip(owners, judge.judge(reqs), strict=True):
        scores = oriented(normalize(j.scores, e.rubric.kinds), e.rubric)
        for c, s in zip(e.rubric.criteria, scores, strict=True):
            name = next((t[5:] for t in c.tags if t.startswith("crit:")), c.text[:30])
            out[name].append(float(s))
    return out


def table(greedy: dict[str, list[float]], sampled: dict[str, list[float]], levels: dict[str, str]) -> str:
    def mean(v: list[float]) -> float:
        return sum(v) / len(v) if v else float("nan")

    rows = sorted(greedy, key=lambda k: -mean(sampled.get(k, greedy[k])))
    lines = ["| criterion | level | prompts | greedy | sampled |", "|---|---|---:|---:|---:|"]
    for k in rows:
        lines.append(f"| {k} | {levels.get(k, '')} | {len(greedy[k])} | {mean(greedy[k]):.2f} | {mean(sampled[k]):.2f} |")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> None:
    from evals.evaluation import generate, load_lm
    from harness.compose import compose_sweep as compose
    from harness.models.resolve import check_model, resolve_model

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cfg, _ = compose(["hydra.mode=RUN", *argv])
    check_model(cfg.scale.model)
    train, held = load_training_examples(cfg.data)
    examples = train + held
    judge = instantiate(cfg.judge)
    for e in examples:
        judge.validate(e.rubric)
    import torch

    torch.manual_seed(int(cfg.seed))
    lm = load_lm(resolve_model(cfg.scale.model, cfg.cache_dir), batch_size=int(cfg.eval.batch_size))
    n, t, m = int(cfg.train.num_generations), float(cfg.train.temperature), int(cfg.train.max_completion_length)
    g = generate(lm, examples, m, 0.0, desc="greedy")
    s = generate(lm, [e for e in examples for _ in range(n)], m, t, desc=f"sampled x{n} T={t}")
    levels = {}
    for e in examples:
        for c in e.rubric.criteria:
            name = next((x[5:] for x in c.tags if x.startswith("crit:")), c.text[:30])
            levels[name] = next((x[6:] for x in c.tags if x.startswith("level:")), "")
    greedy = criterion_rates(examples, [[x] for x in g], judge)
    sampled = criterion_rates(examples, [s[i * n:(i + 1) * n] for i in range(len(examples))], judge)
    print(f"\nbase rates: data={cfg.data.name} model={cfg.scale.model} ({len(examples)} prompts, "
          f"{m} new tokens, {n} samples at T={t})\n")
    print(table(greedy, sampled, levels))
    if os.environ.get("BASE_RATES_SAMPLES"):
        Path(os.environ["BASE_RATES_SAMPLES"]).write_text(
            "".join(json.dumps({"id": e.id, "greedy": g[i], "sampled": s[i * n:(i + 1) * n]}) + "\n"
                    for i, e in enumerate(examples)))


if __name__ == "__main__":
    main(sys.argv[1:])
