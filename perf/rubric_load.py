"""How long loading RubricHub-sized training data takes, and its peak memory (issue 28, item 6).

Writes a synthetic parquet file in the verl layout of RubricHub's size (default 110,000 rows,
about 3 M criteria: 80 % LLM-judged rows of 24-42 criteria, 20 % instruction-following rows of
2-6 criteria, most of them IFEval rules; each row with verl's ``extra_info`` copy of prompt and
rubric), then measures, each step in a fresh process so peaks do not mix:

* ``load_examples``: ``core.data.load_examples(path, "verl")``, the validated examples;
* ``training dataset``: the same, then ``harness.cell.train.training_dataset`` (TRL's input: prompts and
  ids, rubrics looked up by id), and the pre-0.2 dataset with a rubric as JSON per row, for comparison.

Target (issue 28): the whole load under 60 s and 4 GB. Run alone (it is heavy):
    python perf/rubric_load.py [--rows 110000] [--keep /path/file.parquet]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ABILITIES = ("Chat", "Medical", "Science", "Writing")
PARAMS = ("keywords", "num_bullets", "num_sentences", "relation")  # RubricHub's struct has 36; these suffice
RULES = [  # (criterion id, function, parameters)
    ("length_constraints:number_sentences", "NumberOfSentences", {"num_sentences": 5.0, "relation": "less than"}),
    ("punctuation:no_comma", "CommaChecker", {}),
    ("keywords:existence", "KeywordChecker", {"keywords": ["river", "light"]}),
    ("detectable_format:number_bullet_lists", "BulletListChecker", {"num_bullets": 3.0}),
    ("change_case:english_lowercase", "LowercaseLettersEnglishChecker", {}),
]


def _rows(n: int, seed: int = 0):
    rng = random.Random(seed)
    for i in range(n):
        prompt = [{"content": f"Question {i}: " + "explain the topic in detail please " * rng.randint(3, 12),
                   "role": "user"}]
        if rng.random() < 0.8:
            ability = ABILITIES[i % 4]
            rubrics = [{"criterion": f"The response covers point {k} of question {i} accurately and with a "
                                     f"concrete example that a reader could check against a source.",
                        "points": rng.randint(1, 12), "tags": {"function": "", "parameters": None, "verifier": "llm"}}
                       for k in range(rng.randint(24, 42))]
        else:
            ability = "Instruction_Following"
            rubrics = [{"criterion": ident, "points": 10,
                        "tags": {"function": fn, "parameters": {k: params.get(k) for k in PARAMS}, "verifier": "rule"}}
                       for ident, fn, params in rng.sample(RULES, rng.randint(1, 5))]
            rubrics.append({"criterion": f"Does the response address the follow question? \\n\\n{prompt[0]['content']}",
                            "points": 30, "tags": {"function": "", "parameters": None, "verifier": "llm"}})
        rm = {"ground_truth": "", "rubrics": rubrics, "style": "rubric"}
        yield {"prompt": prompt, "data_source": ability, "ability": ability, "reward_model": rm,
               "extra_info": {"prompt": prompt, "reward_model": rm}}


def write(path: Path, n: int) -> int:
    """The synthetic file, written 5,000 rows at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, total, chunk = None, 0, []
    for r in _rows(n):
        chunk.append(r)
        total += len(r["reward_model"]["rubrics"])
        if len(chunk) == 5000:
            t = pa.Table.from_pylist(chunk)
            writer = writer or pq.ParquetWriter(path, t.schema, compression="zstd")
            writer.write_table(t)
            chunk = []
    if chunk:
        t = pa.Table.from_pylist(chunk)
        writer = writer or pq.ParquetWriter(path, t.schema, compression="zstd")
        writer.write_table(t)
    writer.close()
    return total


def _rss_gb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 2**20


def rubric_json_dataset(examples):
    """The trainer's dataset before 0.2: every row carried its question and its rubric as JSON text
    (``Dataset.from_list``); kept here to show what looking rubrics up by id saves."""
    from datasets import Dataset

    return Dataset.from_list([{"prompt": e.messages, "example_id": e.id, "question": e.question,
                               "rubric": e.rubric.to_json()} for e in examples])


def child(path: str, step: str) -> None:
    sys.path.insert(0, str(ROOT))
    if step == "dataset":
        from harness.cell.train import training_dataset  # torch, TRL...: their memory is not the data's
    if step == "rubric_json":
        import datasets  # noqa: F401
    from core.data import load_examples

    out = {"import_gb": _rss_gb()}
    t0, c0 = time.perf_counter(), time.process_time()
    ex = load_examples(path, "verl")
    out |= {"rows": len(ex), "criteria": sum(len(e.rubric) for e in ex),
            "load_s": time.perf_counter() - t0, "load_cpu_s": time.process_time() - c0}
    if step in ("dataset", "rubric_json"):
        t1 = time.perf_counter()
        ds = training_dataset(ex) if step == "dataset" else rubric_json_dataset(ex)
        out |= {"dataset_s": time.perf_counter() - t1, "dataset_rows": len(ds)}
    out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=110_000)
    ap.add_argument("--keep", type=Path, help="write (or reuse) the synthetic file here")
    ap.add_argument("--child", nargs=2, metavar=("PATH", "STEP"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "rubrichub_synthetic.parquet"
        t0 = time.perf_counter()
        if not path.is_file():
            write(path, args.rows)
        print(f"synthetic verl parquet: {path.stat().st_size / 2**20:.0f} MiB, written in "
              f"{time.perf_counter() - t0:.0f} s")
        rows = []
        for step in ("load", "dataset", "rubric_json"):
            res = subprocess.run([sys.executable, __file__, "--child", str(path), step], check=True,
                                 capture_output=True, text=True)
            rows.append((step, json.loads(res.stdout.strip().splitlines()[-1])))
    print(f"\n{'step':<40} {'rows':>8} {'criteria':>10} {'wall s':>7} {'cpu s':>6} {'peak GB':>8} {'after imports':>14}")
    names = {"load": "load_examples", "dataset": "+ training dataset (harness.cell.train)",
             "rubric_json": "+ pre-0.2 dataset (rubric JSON per row)"}
    for step, r in rows:
        secs = r["load_s"] + r.get("dataset_s", 0.0)
        print(f"{names[step]:<40} {r['rows']:>8} {r['criteria']:>10} {secs:>7.1f} {r['load_cpu_s']:>6.1f} "
              f"{r['peak_gb']:>8.2f} {r['import_gb']:>14.2f}")
    print(f"(the dataset step alone: {rows[1][1]['dataset_s']:.1f} s now, {rows[2][1]['dataset_s']:.1f} s "
          "with rubric JSON per row; cpu s: load_examples only)")


if __name__ == "__main__":
    main()
