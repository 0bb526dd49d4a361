"""Regenerate core/assets/instruct_graded.jsonl (the bundled `data=instruct_graded` training set).

Deterministic. The `data=instruct` requests (core/assets/make_instruct.py: 16 tasks x 10 topics,
a word limit, one or two IFEval-style instructions) with graded **Principles** beside the Hard
Rules, so the focal mechanism has criteria to reweight by degree, not only met / not met:

* ``coverage`` (keywords): mentions the three words the prompt asks for (score = share mentioned);
* ``length_fit`` (length_band): close to an unstated ideal length, 60 % of the word limit;
* ``variety`` (diversity): varied wording, share of distinct words (0 under 10 words).

128 rows: 48 train (12 GRPO steps of 4 prompts = one epoch) and 80 held out, so the held-out
scores average over many prompts (``heldout_fraction: 0.625`` in conf/data/instruct_graded.yaml).
Bands (``level:high|mid|low``) are the criterion's satisfaction on the *untrained*
SmolLM2-135M-Instruct, measured once before any training with
``python -m harness.tools.base_rates experiment=graded`` and written into ``MEASURED_LEVEL``
(table in docs/results/graded/plan.md); the prompts and checks did not change after measuring.
Weights as in `data=instruct` (instruction 2, content 1, format 1, safety 3; style 1).
Run: python core/assets/make_instruct_graded.py
"""

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_instruct import AXIS_WEIGHT, INSTRUCTIONS, TASKS, TOPICS, instruction_text  # noqa: E402

WEIGHT = {**AXIS_WEIGHT, "style": 1.0}
COVERAGE = {  # three words a good answer about the topic would use; the prompt asks for them
    "coffee": ("cup", "morning", "taste"), "a morning walk": ("fresh", "air", "energy"),
    "recycling": ("plastic", "bin", "waste"), "a new phone": ("battery", "camera", "screen"),
    "gardening": ("soil", "water", "plants"), "the library": ("books", "quiet", "borrow"),
    "remote work": ("home", "team", "schedule"), "a bicycle": ("ride", "helmet", "wheels"),
    "healthy sleep": ("bed", "rest", "hours"), "a rainy day": ("umbrella", "puddles", "cozy"),
}
# satisfaction band on the untrained model (base_rates, sampled completions): high >= 0.8, low < 0.35
MEASURED_LEVEL: dict[str, str] = {  # 2026-12-05, sampled satisfaction in parentheses
    "no_at": "high", "english": "high",  # (0.99, 0.98)
    "word_limit": "mid", "variety": "mid", "on_topic": "mid", "title": "mid", "finished": "mid",  # (0.78-0.51)
    "coverage": "low", "postscript": "low", "no_commas": "low", "starts_sure": "low", "length_fit": "low",
    "end_phrase": "low", "three_bullets": "low", "quoted": "low", "lowercase": "low",  # (0.33-0.04)
}
N_ROWS = 128


def crit(name: str, text: str, kind: str, check: dict, axis: str) -> dict:
    return {"text": text, "kind": kind, "check": check, "weight": WEIGHT[axis],
            "tags": [axis, f"level:{MEASURED_LEVEL.get(name, 'unmeasured')}", f"crit:{name}", kind, "all"]}


def row(i: int, rng: random.Random) -> dict:
    task = TASKS[i % len(TASKS)]
    topic, stem = TOPICS[(i * 7 + i // len(TASKS)) % len(TOPICS)]
    limit = rng.choice([40, 50, 60])
    picked = rng.sample(INSTRUCTIONS, 2 if i % 2 else 1)
    words = COVERAGE[topic]
    prompt = " ".join([task.format(t=topic), f"Keep it under {limit} words.",
                       f"Mention {words[0]}, {words[1]} and {words[2]}."] + [p[1] for p in picked])
    target = round(0.6 * limit)
    rubric = [
        crit("english", "The response is written in English.", "hard_rule", {"type": "language", "lang": "en"}, "content"),
        crit("on_topic", f"The response is about {topic} (it mentions it).", "hard_rule",
             {"type": "contains", "value": stem}, "content"),
        crit("no_at", "The response contains no '@' character.", "hard_rule", {"type": "not_contains", "value": "@"},
             "safety"),
        crit("word_limit", f"The response has fewer than {limit} words.", "hard_rule",
             {"type": "ifeval", "id": "length_constraints:number_words",
              "kwargs": {"relation": "less than", "num_words": limit}}, "instruction"),
        crit("finished", "The response ends with a finished sentence ('.', '!', '?' or a quote).", "hard_rule",
             {"type": "regex", "pattern": "[.!?\"]\\s*$"}, "format"),
        crit("coverage", f"The response mentions {words[0]}, {words[1]} and {words[2]} (score: share mentioned).",
             "principle", {"type": "keywords", "words": list(words)}, "content"),
        crit("length_fit", f"The response is close to {target} words long (10 at {target}, 0 at {target // 2} words "
             "or more away).", "principle", {"type": "length_band", "target": target}, "format"),
        crit("variety", "The response uses varied wording: the share of distinct words (0 under 10 words).",
             "principle", {"type": "diversity", "min_words": 10}, "style"),
    ] + [crit(n, instruction_text(n), "hard_rule", c, "instruction") for n, _, c, _ in picked]
    rng.shuffle(rubric)
    return {"id": f"graded-{i:03d}", "prompt": prompt, "rubric": rubric,
            "meta": {"task": task, "topic": topic, "limit": limit, "instructions": [p[0] for p in picked]}}


def main() -> None:
    rng = random.Random(2605)
    rows = [row(i, rng) for i in range(N_ROWS)]
    out = Path(__file__).with_name("instruct_graded.jsonl")
    out.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
