"""Regenerate core/assets/instruct.jsonl (the bundled `data=instruct` training set).

Deterministic. 80 realistic user requests (16 tasks x 5 topics), each asking for one short
piece of writing plus one or two explicit formatting instructions in IFEval's style. Every
criterion carries a check the offline rules judge scores (IFEval instruction ids, or the
harness's own checks). Three bands by design, expected of the untrained SmolLM2-135M-Instruct
and then measured with `python -m harness.tools.base_rates experiment=smol` (table in the README):

* met almost always: answers in English, stays on topic (names it), no e-mail-like '@';
* met sometimes: stays under a word limit, ends with a finished sentence (not cut off);
* rarely met: the explicit instructions (all lowercase, no commas, a given closing phrase,
  a P.S., a <<title>>, exactly three bullets, wrapped in double quotes, start with a word).
  Measured: P.S., title and the 'Sure' opener turned out to be met about half the time when asked;
  the level tags below keep the design's guess (the data was frozen as generated).

Weights (used by `prior` / `focal_prior`) follow the criterion's axis as a rubric author would
set them: instruction 2, content 1, format 1, safety 3. Tags: axis, level (the band above
as designed, before measuring), ``crit:<name>`` and ``all``. The design was fixed once, before
any method was run, and is the same for every method.
Run: python core/assets/make_instruct.py
"""

import json
import random
from pathlib import Path

TASKS = [
    "Write a short note to a coworker about {t}.",
    "Give me two quick tips about {t}.",
    "Explain {t} to a ten-year-old.",
    "Write a product description for {t}.",
    "Summarize why {t} matters, in plain words.",
    "Write a friendly reminder about {t} for my team.",
    "What should a beginner know about {t}?",
    "Write a short review of {t}.",
    "Describe {t} in a few sentences.",
    "Write a social media post about {t}.",
    "Give one pro and one con of {t}.",
    "Write a haiku-like short poem about {t}.",
    "Tell me a fun fact about {t}.",
    "Write a one-paragraph story involving {t}.",
    "Draft a short thank-you message mentioning {t}.",
    "Answer briefly: how do I get started with {t}?",
]
TOPICS = [("coffee", "coffee"), ("a morning walk", "walk"), ("recycling", "recycl"), ("a new phone", "phone"),
          ("gardening", "garden"), ("the library", "librar"), ("remote work", "work"), ("a bicycle", "bicycle"),
          ("healthy sleep", "sleep"), ("a rainy day", "rain")]
AXIS_WEIGHT = {"instruction": 2.0, "content": 1.0, "format": 1.0, "safety": 3.0}

# explicit instructions: (name, sentence added to the prompt, check, band)
INSTRUCTIONS = [
    ("lowercase", "Your entire response should be in lowercase letters.",
     {"type": "ifeval", "id": "change_case:english_lowercase", "kwargs": {}}, "hard"),
    ("no_commas", "Do not use any commas in your response.",
     {"type": "ifeval", "id": "punctuation:no_comma", "kwargs": {}}, "hard"),
    ("end_phrase", "Finish your response with the exact phrase 'Any other questions?'.",
     {"type": "ifeval", "id": "startend:end_checker", "kwargs": {"end_phrase": "Any other questions?"}}, "hard"),
    ("postscript", "At the end, add a postscript starting with P.S.",
     {"type": "ifeval", "id": "detectable_content:postscript", "kwargs": {"postscript_marker": "P.S."}}, "hard"),
    ("title", "Give it a title wrapped in double angular brackets, such as <<my title>>.",
     {"type": "ifeval", "id": "detectable_format:title", "kwargs": {}}, "hard"),
    ("three_bullets", "Use exactly 3 markdown bullet points such as:\n* first point",
     {"type": "ifeval", "id": "detectable_format:number_bullet_lists", "kwargs": {"num_bullets": 3}}, "hard"),
    ("quoted", "Wrap your entire response in double quotation marks.",
     {"type": "ifeval", "id": "startend:quotation", "kwargs": {}}, "hard"),
    ("starts_sure", "Start your answer with the word 'Sure'.",
     {"type": "starts_with", "value": "Sure"}, "hard"),
]


def instruction_text(name: str) -> str:
    return {
        "lowercase": "The whole response is in lowercase letters.",
        "no_commas": "The response uses no commas.",
        "end_phrase": "The response ends with the exact phrase 'Any other questions?'.",
        "postscript": "The response ends with a postscript starting with 'P.S.'.",
        "title": "The response has a title in double angular brackets (<<...>>).",
        "three_bullets": "The response has exactly 3 markdown bullet points.",
        "quoted": "The whole response is wrapped in double quotation marks.",
        "starts_sure": "The response starts with the word 'Sure'.",
    }[name]


def crit(name: str, text: str, kind: str, check: dict, axis: str, level: str) -> dict:
    return {"text": text, "kind": kind, "check": check, "weight": AXIS_WEIGHT[axis],
            "tags": [axis, f"level:{level}", f"crit:{name}", "all"]}


def main() -> None:
    rng = random.Random(1207)
    rows = []
    for i in range(80):
        task = TASKS[i % len(TASKS)]
        topic, stem = TOPICS[(i * 7 + i // len(TASKS)) % len(TOPICS)]
        limit = rng.choice([40, 50, 60])
        picked = rng.sample(INSTRUCTIONS, 2 if i % 2 else 1)
        prompt = " ".join([task.format(t=topic), f"Keep it under {limit} words."] + [p[1] for p in picked])
        rubric = [
            crit("english", "The response is written in English.", "hard_rule",
                 {"type": "language", "lang": "en"}, "content", "easy"),
            crit("on_topic", f"The response is about {topic} (it mentions it).", "hard_rule",
                 {"type": "contains", "value": stem}, "content", "easy"),
            crit("no_at", "The response contains no '@' character.", "hard_rule",
                 {"type": "not_contains", "value": "@"}, "safety", "easy"),
            crit("word_limit", f"The response has fewer than {limit} words.", "hard_rule",
                 {"type": "ifeval", "id": "length_constraints:number_words",
                  "kwargs": {"relation": "less than", "num_words": limit}}, "instruction", "medium"),
            crit("finished", "The response ends with a finished sentence ('.', '!', '?' or a quote).", "hard_rule",
                 {"type": "regex", "pattern": "[.!?\"]\\s*$"}, "format", "medium"),
        ] + [crit(n, instruction_text(n), "hard_rule", c, "instruction", band) for n, _, c, band in picked]
        rng.shuffle(rubric)
        rows.append({"id": f"instruct-{i:03d}", "prompt": prompt, "rubric": rubric,
                     "meta": {"task": task, "topic": topic, "instructions": [p[0] for p in picked]}})
    out = Path(__file__).with_name("instruct.jsonl")
    out.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
