"""The openai judge against a real model: SmolLM2-135M-Instruct on llama.cpp's server, every mode.

    python perf/judge_real.py [--n 64] [--k 2] [--conc-n 16] [--threads 1,2]
        [--n-free N] [--n-schema N] [--n-per-item N] [--n-logprob N]   (default: all --n)

Items: the first ``n/2`` prompts of the toy fixture (``core/assets/toy.jsonl``), each with
its first ``k`` criteria (all carry a machine check) and two fixed responses (one meant to
meet most checks, one to break several), so ``n`` (question, rubric, response) items.
Modes: ``rubric`` with json_mode off / json_object / json_schema (dialect llamacpp),
``per_item`` (json_schema) and ``logprob``. Each mode judges the first ``n`` items (or
its own ``--n-*``: on a slow machine the free-text modes, which run to ``max_tokens``,
can be given fewer) at concurrency 1, then the first ``conc-n`` at concurrency 8 (for
judgments/s only); cache off, ``max_tokens: 128``, ``max_retries: 0`` (a retry would
hide the invalid-reply rate and multiply the time).

Columns: invalid = invalid replies / requests; unscorable = None scores / criterion
scores; latency = mean seconds per HTTP request (concurrency 1); j/s = judgments (one
item, all its criteria) per second at concurrency 1 and 8; agree = agreement with the
rules judge on scorable criteria (a Hard Rule agrees when ``met()`` equals the rules
verdict, a Principle when within 2 points of it); the last column is the invalid and
unscorable rates of the concurrency-8 run. ``--threads`` adds a table of the
server's ``n_threads`` (logprob mode, 8 items, concurrency 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # a script: the repo goes on sys.path first
sys.path.insert(0, str(ROOT))

from core.data import load_examples  # noqa: E402
from core.rubric import Rubric  # noqa: E402
from core.scores import met  # noqa: E402
from evals.judges.base import JudgeRequest  # noqa: E402
from evals.judges.openai_judge import OpenAIJudge  # noqa: E402
from evals.judges.rules import RulesJudge  # noqa: E402
from harness.models.judge_server import N_CTX, N_THREADS, local_judge_server  # noqa: E402

# (row, judge settings, the --n-* option giving how many items it judges at concurrency 1)
MODES = [
    ("rubric / off", dict(mode="rubric", json_mode="off"), "n_free"),
    ("rubric / json_object", dict(mode="rubric", json_mode="json_object"), "n_free"),
    ("rubric / json_schema", dict(mode="rubric", json_mode="json_schema"), "n_schema"),
    ("per_item / json_schema", dict(mode="per_item", json_mode="json_schema"), "n_per_item"),
    ("logprob", dict(mode="logprob"), "n_logprob"),
]


def items(n: int, k: int) -> list[JudgeRequest]:
    out: list[JudgeRequest] = []
    for e in load_examples(ROOT / "core" / "assets" / "toy.jsonl"):
        topic = str(e.meta.get("topic", "it"))
        rubric = Rubric(criteria=e.rubric.criteria[:k])
        good = f"Sure {topic} is calm and quiet in the morning."
        bad = f"Well, {topic}, you see, is a thing @ home, and it goes on, and on, and on."
        out += [JudgeRequest(str(e.prompt), rubric, good), JudgeRequest(str(e.prompt), rubric, bad)]
        if len(out) >= n:
            return out[:n]
    return out


def agreement(reqs, judged, truth) -> float:
    hits = total = 0
    for r, j, t in zip(reqs, judged, truth, strict=True):
        for c, s, v in zip(r.rubric.criteria, j.scores, t.scores, strict=True):
            if s is None or v is None:
                continue
            total += 1
            hits += (met(s) == met(v)) if c.kind == "hard_rule" else (abs(float(s) - float(v)) <= 2)
    return hits / total if total else float("nan")


def run(url: str, conf: dict, reqs: list[JudgeRequest], concurrency: int) -> tuple[list, dict, float]:
    j = OpenAIJudge(
        base_url=url, model="smollm2_135m", dialect="llamacpp", max_tokens=128, timeout=300.0,
        max_retries=0, cache=False, concurrency=concurrency, **conf,
    )  # fmt: skip
    try:
        t0 = time.perf_counter()
        out = j.judge(reqs)
        wall = time.perf_counter() - t0
        return out, j.stats(), wall
    finally:
        j.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--conc-n", type=int, default=16)
    ap.add_argument("--threads", default="", help="e.g. 1,2: also time the server's n_threads")
    ap.add_argument("--only", default="", help="comma-separated mode rows to run (default: all), e.g. logprob")
    for opt in ("free", "schema", "per-item", "logprob"):
        ap.add_argument(f"--n-{opt}", type=int, default=None)
    args = ap.parse_args()
    reqs = items(args.n, args.k)
    truth = RulesJudge().judge(reqs)
    print(f"{len(reqs)} items x {args.k} criteria; server n_ctx={N_CTX} n_threads={N_THREADS}", flush=True)
    rows = []
    with local_judge_server("smollm2_135m") as url:
        run(url, dict(mode="logprob"), reqs[:2], 1)  # warm up (model pages, prompt cache)
        for name, conf, size in MODES:
            if args.only and name not in [x.strip() for x in args.only.split(",")]:
                continue
            mine = reqs[: getattr(args, size) or args.n]
            out, st, wall = run(url, conf, mine, 1)
            n_req = st.get("judge/requests", 0.0)
            inv = st.get("judge/invalid_replies", 0.0) / n_req if n_req else float("nan")
            cells = sum(len(o.scores) for o in out)
            uns = sum(o.unscorable for o in out) / cells
            out8, st8, wall8 = run(url, conf, reqs[: args.conc_n], 8)
            inv8 = st8.get("judge/invalid_replies", 0.0) / max(1.0, st8.get("judge/requests", 0.0))
            uns8 = sum(o.unscorable for o in out8) / sum(len(o.scores) for o in out8)
            row = (name, len(mine), inv, uns, st["judge/latency_mean_s"], len(mine) / wall, args.conc_n / wall8,
                   agreement(mine, out, truth[: len(mine)]), inv8, uns8)  # fmt: skip
            rows.append(row)
            print(f"  done {name}: {wall:.0f} s + {wall8:.0f} s", file=sys.stderr, flush=True)
    print("\n| mode | items | invalid replies | unscorable | mean latency (s) | judgments/s (c=1) | judgments/s (c=8) "
          "| agreement with rules | invalid / unscorable (c=8) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, n, inv, uns, lat, js1, js8, agr, inv8, uns8 in rows:
        agree = "-" if agr != agr else f"{agr:.1%}"  # nan: no criterion was scorable
        print(f"| {name} | {n} | {inv:.1%} | {uns:.1%} | {lat:.2f} | {js1:.2f} | {js8:.2f} | {agree} | {inv8:.1%} / {uns8:.1%} |")
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if threads:
        print("\n| n_threads | logprob judgments/s (8 items, c=1) |\n|---|---|")
        for t in threads:
            with local_judge_server("smollm2_135m", n_threads=t) as url:
                run(url, dict(mode="logprob"), reqs[:2], 1)
                _, _, wall = run(url, dict(mode="logprob"), reqs[2:10], 1)
            print(f"| {t} | {8 / wall:.2f} |", flush=True)


if __name__ == "__main__":
    main()
