"""Judge + aggregation as a share of GRPO step time, from the per-step timers of real training runs.

Reads every policy's metrics mirror under the given sweep folders (``timing/*`` keys logged by
harness.cell.timing.StepTimer each step) and prints one row per policy plus the mean over policies:
seconds per step in generation, judging, aggregation, optimizer step and the rest, and the
judge + aggregation share (target: at most 5 % with the rules judge).

    python -m perf.step_share [runs/smol ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.cell.timing import PARTS, policy_timings, table  # noqa: E402

TARGET = 0.05


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweeps", nargs="*", default=["runs/smol"])
    args = ap.parse_args()
    rows = [row for s in args.sweeps for row in policy_timings(s)]
    if not rows:
        raise SystemExit(f"no policy metrics with timing/* keys under {args.sweeps}")
    keys = (*PARTS, "step", *(f"{p}_share" for p in PARTS), "judge_aggregation_share", "steps")
    mean = {k: sum(r[k] for _, r in rows) / len(rows) for k in keys}
    print(table([*rows, (f"mean of {len(rows)}", mean)]))
    share = mean["judge_aggregation_share"]
    print(f"\njudge + aggregation: {100 * share:.2f} % of step time "
          f"({'meets' if share <= TARGET else 'misses'} the {100 * TARGET:.0f} % target)")


if __name__ == "__main__":
    main()
