"""Forward + backward of a policy on CPU under glibc's default allocator and under the allocator
settings the harness applies to training jobs (``harness.cell.glibc_heap.keep_freed_memory``), side by side.

Why: on CPU, every step allocates and frees logits of (batch x length x vocab) floats, hundreds of
MB for a 49k vocabulary; the kernel's share of CPU time ("sy" in top) reached two thirds with two
SmolLM2 jobs side by side. This prints whether keeping freed memory in the heap changes that.

    python -m perf.cpu_allocator --model packaged:smollm2_135m --threads 1 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from harness.report.tables import markdown


def _child(model: str, cache: str, threads: int, batch: int, length: int, repeats: int, tuned: bool) -> dict:
    if tuned:
        from harness.cell.glibc_heap import keep_freed_memory

        keep_freed_memory()
    import torch
    from transformers import AutoModelForCausalLM

    from harness.models.resolve import resolve_model

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    path = resolve_model(model, cache)
    m = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-6)
    ids = torch.randint(0, m.config.vocab_size, (batch, length))
    times = []
    for _ in range(repeats + 1):  # the first is warm-up
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        logits = m(input_ids=ids).logits
        loss = torch.log_softmax(logits.float(), -1).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        times.append((time.perf_counter() - t0, r1.ru_stime - r0.ru_stime, r1.ru_minflt - r0.ru_minflt))
    runs = times[1:]
    return {
        "wall_s": sum(t for t, _, _ in runs) / len(runs),
        "sys_s": sum(s for _, s, _ in runs) / len(runs),
        "minor_faults": sum(f for _, _, f in runs) / len(runs),
        "max_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--cache", default=os.environ.get("FOCAL_HARNESS_CACHE", os.path.expanduser("~/.cache/focal-harness")))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--length", type=int, default=124)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", choices=["default", "tuned"], help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(_child(a.model, a.cache, a.threads, a.batch, a.length, a.repeats, a.child == "tuned")))
        return
    rows = []
    for name, mode in (("glibc default", "default"), ("keep_freed_memory", "tuned")):
        args = [sys.executable, "-m", "perf.cpu_allocator", "--child", mode, "--model", a.model, "--cache", a.cache,
                "--threads", str(a.threads), "--batch", str(a.batch), "--length", str(a.length),
                "--repeats", str(a.repeats)]
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        rows.append({"allocator": name, **json.loads(out)})
    ref = rows[0]["wall_s"]
    print(f"forward+backward+AdamW, {a.model}, batch {a.batch} x {a.length} tokens, {a.threads} thread(s), "
          f"mean of {a.repeats} after one warm-up")
    print(markdown(["allocator", "step s", "kernel s", "minor faults", "max RSS GB", "speed-up"],
                   [[r["allocator"], f"{r['wall_s']:.2f}", f"{r['sys_s']:.2f}", f"{r['minor_faults']:.0f}",
                     f"{r['max_rss_gb']:.2f}", f"{ref / r['wall_s']:.2f}x"] for r in rows]))


if __name__ == "__main__":
    main()
