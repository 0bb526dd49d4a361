"""Where a finished sweep's time went, from its records: per policy, training seconds by part
(generation, judge, optimizer, other: the StepTimer's parts) and evaluation seconds (its cells'
wall time), with the judge's requests in training.

    python -m perf.sweep_time runs/paper_local
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

PARTS = ("generation", "judge", "optimizer", "other")


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def breakdown(sweep: Path) -> list[list]:
    cells = [json.loads(p.read_text()) for p in sweep.glob("cells/*/result.json")]
    out = []
    for pol in sorted(p for p in (sweep / "policies").iterdir() if p.is_dir()):
        train = [r for r in _rows(pol / "metrics.jsonl") if r.get("phase") == "train"]
        parts = [sum(float(r.get(f"timing/{k}_s", 0.0)) for r in train) for k in PARTS]
        evaluation = sum(float(c.get("wall_time_s", 0.0)) for c in cells if Path(str(c.get("policy_dir", ""))).name == pol.name)
        requests = int(max((r.get("judge/requests", 0) for r in train), default=0))
        total = sum(parts) + evaluation
        out.append([pol.name.rsplit("-", 1)[0], len(train), *(f"{x:.0f}" for x in parts), f"{evaluation:.0f}",
                    f"{total:.0f}", requests])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="a finished sweep's time by part, from its records")
    ap.add_argument("sweep", type=Path, help="runs/<sweep>")
    args = ap.parse_args(argv)
    rows = breakdown(args.sweep)
    print(tabulate(rows, headers=["policy", "steps", *(f"{k} s" for k in PARTS), "evaluation s", "total s",
                                  "judge requests (training)"], tablefmt="github"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
