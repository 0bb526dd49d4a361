"""Throughput of the openai judge against the loopback server with injected latency.

    python perf/judge_throughput.py [--n 512] [--latency 0.05] [--seq-n 64]

The server runs in its own process (so its threads do not share our GIL) and
sleeps ``latency`` seconds per request. Each judge is built once and warmed up
with 4 other judgments before it is timed, as in training (one judge, called
every step). Rows: sequential (concurrency 1, on ``--seq-n`` judgments, wall
time scaled to N and marked), then concurrency 8, 32, 64 on N judgments, each
with the cache off; then the bare ``openai`` SDK at concurrency 32 sending the
same prompts with no judge around it -- ``chat.completions.create`` on the
SDK's default transport (what hand-written code does) and the cheapest SDK
path the judge uses (``client.post`` with a raw reply on the aiohttp
transport): the judge cannot beat that floor, and ``judge / SDK floor``
is the judge's own overhead; then the judge split over two client processes
(16 in flight each; does a second process buy CPU on this machine?); then a
cold + warm run with the persistent cache
(the warm run must make 0 requests); then a row at a realistic latency.
``ideal = N * latency / concurrency``; ``ratio = ideal / wall`` (1.0 = no overhead).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # a script: the repo goes on sys.path first
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402

from core.rubric import Criterion, Rubric  # noqa: E402
from evals.judges import prompts  # noqa: E402
from evals.judges.base import JudgeRequest  # noqa: E402
from evals.judges.openai_judge import OpenAIJudge  # noqa: E402


def start_server(latency: float, tmp: str) -> tuple[subprocess.Popen, str]:
    os.makedirs(tmp, exist_ok=True)
    port_file = os.path.join(tmp, "port")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.testserver",
            "--latency",
            str(latency),
            "--port-file",
            port_file,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    for _ in range(200):
        if os.path.exists(port_file):
            return proc, f"http://127.0.0.1:{open(port_file).read().strip()}/v1"
        if proc.poll() is not None:
            raise RuntimeError("test server exited")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("test server did not start")


def make_requests(n: int, tag: str = "answer") -> list[JudgeRequest]:
    rubric = Rubric(
        criteria=(
            Criterion(text="Names Paris", kind="hard_rule", check={"type": "contains", "value": "Paris"}),
            Criterion(text="Is concise", kind="principle", check={"type": "length_band", "target": 8}),
            Criterion(text="No digits", kind="hard_rule", check={"type": "no_digits"}),
            Criterion(text="Is friendly", kind="principle"),
        )
    )
    return [
        JudgeRequest("What is the capital of France?", rubric, f"Paris is the capital ({tag} {i}).")
        for i in range(n)
    ]


def run(url: str, reqs: list[JudgeRequest], concurrency: int, mode: str, cache_path: str | None = None):
    j = OpenAIJudge(
        base_url=url,
        model="loopback-judge",
        mode=mode,
        concurrency=concurrency,
        timeout=30,
        cache=cache_path is not None,
        cache_path=cache_path,
    )
    with j:
        j.judge(make_requests(4, "warm-up"))  # client, connections (training reuses one judge)
        j.counters.clear()
        t, cpu = time.perf_counter(), time.process_time()
        out = j.judge(reqs)
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    bad = sum(o.scores[0] is None for o in out)
    return wall, int(j.counters["requests"]), bad, cpu


def _client_process(url, reqs, concurrency, mode, barrier, out) -> None:
    j = OpenAIJudge(
        base_url=url, model="loopback-judge", mode=mode, concurrency=concurrency, timeout=30, cache=False
    )
    with j:
        j.judge(make_requests(4, f"warm-up {reqs[0].response}"))
        j.counters.clear()
        barrier.wait()  # all processes start timing together
        t, cpu = time.perf_counter(), time.process_time()
        judged = j.judge(reqs)
        out.put(
            (
                t,
                time.perf_counter(),
                int(j.counters["requests"]),
                sum(o.scores[0] is None for o in judged),
                time.process_time() - cpu,
            )
        )


def run_processes(url: str, reqs: list[JudgeRequest], concurrency: int, mode: str, processes: int):
    """The judgments split over ``processes`` client processes (``concurrency / processes`` each)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    parts = [reqs[i::processes] for i in range(processes)]
    procs = [
        ctx.Process(target=_client_process, args=(url, part, concurrency // processes, mode, barrier, out))
        for part in parts
    ]
    for p in procs:
        p.start()
    got = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    wall = max(r[1] for r in got) - min(r[0] for r in got)
    return wall, sum(r[2] for r in got), sum(r[3] for r in got), sum(r[4] for r in got)


def run_sdk(url: str, reqs: list[JudgeRequest], concurrency: int, how: str):
    """The same rubric prompts through the bare SDK (no judge): ``create`` (httpx) or ``post`` (aiohttp)."""
    msgs = [prompts.rubric_messages(r.question, r.rubric, r.response) for r in reqs]

    async def go():
        http = openai.DefaultAioHttpClient() if how == "post" else None
        async with openai.AsyncOpenAI(api_key="EMPTY", base_url=url, max_retries=0, http_client=http) as c:
            sem = asyncio.Semaphore(concurrency)

            async def one(m) -> bool:
                async with sem:
                    if how == "post":
                        r = await c.post(
                            "/chat/completions", body={"model": "m", "messages": m}, cast_to=object
                        )
                        return bool(r["choices"][0]["message"]["content"])
                    r = await c.chat.completions.create(model="m", messages=m)
                    return bool(r.choices[0].message.content)

            await asyncio.gather(*(one(m) for m in msgs[:4]))  # warm-up, as for the judge
            t, cpu = time.perf_counter(), time.process_time()
            ok = await asyncio.gather(*(one(m) for m in msgs))
            return time.perf_counter() - t, len(msgs), len(msgs) - sum(ok), time.process_time() - cpu

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--seq-n", type=int, default=64, help="judgments for the sequential row (scaled to --n)")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 64])
    ap.add_argument(
        "--slow-latency",
        type=float,
        default=0.5,
        help="extra row: N/2 judgments at c=32 with this (more realistic) latency; 0 skips it",
    )
    ap.add_argument("--mode", default="rubric", choices=["rubric", "pairwise", "per_item"])
    args = ap.parse_args()
    n, lat = args.n, args.latency
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(lat, tmp)
        try:
            run(url, make_requests(4), 4, args.mode)  # warm-up (imports, first connections)
            calls = {"rubric": 1, "pairwise": 0.5, "per_item": 4}[args.mode]
            print(
                f"openai judge, mode={args.mode}, {n} judgments, {lat * 1000:.0f} ms injected latency, "
                f"server in its own process, {os.cpu_count()} CPUs"
            )
            print(
                f"{'run':<32}{'judgments':>10}{'requests':>10}{'wall s':>9}{'ideal s':>9}{'ratio':>7}"
                f"{'unscorable':>11}{'client CPU ms/req':>19}"
            )

            def row(
                name: str, m: int, conc: int, res: tuple, scale: float = 1.0, latency: float = lat
            ) -> None:
                wall, nreq, bad, cpu = res
                ideal = m * calls * latency / conc
                print(
                    f"{name:<32}{m:>10}{nreq:>10}{wall * scale:>9.2f}{ideal * scale:>9.2f}"
                    f"{ideal / wall if wall else 0:>7.2f}{bad:>11}{1000 * cpu / max(nreq, 1):>19.2f}"
                )

            m = min(args.seq_n, n)
            row(
                f"sequential (c=1){' *' if m < n else ''}",
                m,
                1,
                run(url, make_requests(m), 1, args.mode),
                n / m,
            )
            walls = {}
            for c in args.concurrency:
                res = run(url, make_requests(n), c, args.mode)
                walls[c] = res[0]
                row(f"concurrency {c}", n, c, res)
            sdk_mode = args.mode == "rubric"  # the bare-SDK rows send rubric prompts
            if sdk_mode:
                row("SDK create, httpx, c=32", n, 32, run_sdk(url, make_requests(n), 32, "create"))
                floor = run_sdk(url, make_requests(n), 32, "post")
                row("SDK floor: post, aiohttp, c=32", n, 32, floor)
            row("c=32 over 2 client processes", n, 32, run_processes(url, make_requests(n), 32, args.mode, 2))
            cache = os.path.join(tmp, "judge_cache.sqlite")
            row("c=32, cache cold", n, 32, run(url, make_requests(n), 32, args.mode, cache))
            wall, nreq, bad, _ = run(url, make_requests(n), 32, args.mode, cache)
            print(f"{'c=32, cache warm':<32}{n:>10}{nreq:>10}{wall:>9.2f}{'-':>9}{'-':>7}{bad:>11}{'-':>19}")
            if args.slow_latency > 0:
                proc2, url2 = start_server(args.slow_latency, os.path.join(tmp, "slow"))
                try:
                    run(url2, make_requests(4), 4, args.mode)
                    row(
                        f"c=32 @ {args.slow_latency * 1000:.0f} ms latency",
                        n // 2,
                        32,
                        run(url2, make_requests(n // 2), 32, args.mode),
                        latency=args.slow_latency,
                    )
                finally:
                    proc2.terminate()
                    proc2.wait(timeout=10)
            if m < n:
                print(f"* measured on {m} judgments; wall and ideal scaled by {n / m:g} to {n}")
            if sdk_mode and 32 in walls:
                print(
                    f"judge at c=32 reaches {floor[0] / walls[32]:.2f} of the bare SDK floor's speed "
                    f"(the ratio the judge's own code costs); the floor itself reaches {n * lat / 32 / floor[0]:.2f} "
                    "of ideal"
                )
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
