"""Time every method's aggregate() on one trainer-sized reward call, side by side.

4096 rollouts x 16 criteria in groups of 8 (B=512, G=8, K=16), judge-like scores with
~5% NaN and varying rubric widths (padding), methods built from conf/method/*.yaml
(plus the stateful focal variants). Median of ``--repeats`` timeit runs.

    python -m perf.aggregation [--repeats 30]
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.compose import instantiate_method, method_names  # noqa: E402
from methods.base import build_batch  # noqa: E402

VARIANTS = {"focal[ema=0.9]": ("focal", ["ema=0.9"]), "focal[reference]": ("focal", ["mode=reference"])}


def make_batch(method, b: int, g: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    from core.rubric import Criterion, Rubric

    groups, w0, kinds, keys = [], [], [], []
    for i in range(b):
        kb = int(rng.integers(k // 2, k + 1)) if i % 4 else k  # mostly narrower rubrics -> padding
        kd = ["hard_rule" if x else "principle" for x in rng.random(kb) < 0.4]
        s = np.where(
            np.array([x == "hard_rule" for x in kd]),
            (rng.random((g, kb)) < rng.random(kb)).astype(float),
            rng.binomial(10, rng.random(kb), (g, kb)) / 10,
        )
        s[rng.random((g, kb)) < 0.05] = np.nan
        rubric = Rubric(
            criteria=tuple(Criterion(text=f"c{j}", kind=x, weight=float(j % 3 + 1)) for j, x in enumerate(kd))
        )
        groups.append(s)
        w0.append(method.base_weights(f"p{i}", "q", rubric))
        kinds.append(kd)
        keys.append(f"p{i}")
    return build_batch(groups, w0, kinds, keys)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rollouts", type=int, default=4096)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--criteria", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args(argv)
    b, g, k = args.rollouts // args.group, args.group, args.criteria

    specs = {n: (n, []) for n in method_names()} | VARIANTS
    calls = {}
    for label, (name, overrides) in specs.items():
        method = instantiate_method(name, overrides, root=False)
        batch = make_batch(method, b, g, k)
        method(batch)  # warm-up (and first sight for stateful methods)
        calls[label] = lambda m=method, x=batch: m(x)
    # round-robin so that load from other processes hits every method alike
    runs: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(args.repeats):
        for label, call in calls.items():
            runs[label].append(timeit.timeit(call, number=1))
    times = {label: float(np.median(r)) for label, r in runs.items()}
    base = times["static"]
    print(
        f"aggregate() on B={b} groups x G={g} rollouts x K={k} criteria ({b * g} rollouts), median of {args.repeats}"
    )
    print(f"{'method':<18} {'median ms':>10} {'x static':>9}")
    for label, t in times.items():
        print(f"{label:<18} {t * 1e3:>10.3f} {t / base:>9.2f}")


if __name__ == "__main__":
    main()
