"""Regenerate core/assets/toy.jsonl (the bundled `data=toy` training set).

Deterministic. Every criterion carries a check the offline rules judge scores. The
criteria are surface features that the warmed-up tiny model (harness/models/tiny.py) already
produces at very different base rates, so GRPO can move all of them within tens of
steps and saturation differs a lot between them:

* easy   (met by ~all warmed-up samples, saturated from step 0): no '@', <= 40 words, no digits,
  ends a sentence (not cut off: drifting to over-long answers makes it fall again);
* medium (met by roughly half to three quarters): mentions the topic, no commas, length band;
* hard   (met by ~5-20%): starts with 'Sure', ends with '!', gives a reason ('because').

The three hard criteria are jointly satisfiable with each other and with the rest, so a
balanced policy exists. Each prompt gets two easy, one medium and one hard criterion plus
a graded topic-keywords principle. Weights (used by `prior` / `focal_prior`) follow the
criterion's axis, as a rubric author would set them: safety 3, content 2, the rest 1.
Tags: the axis, the difficulty level (``level:*``), the criterion (``crit:*``) and ``all``
(so training logs the unweighted mean satisfaction, comparable across methods).
The design was fixed once for learnability, not per method.
Run: python core/assets/make_toy.py
"""

import json
import random
from pathlib import Path

TOPICS = ["the cat", "a river", "the city", "the garden", "a small robot", "the ocean", "a good book",
          "the weather", "the market", "a young bird", "the music", "the teacher"]
TOPIC_WORDS = {t: t.split()[-1] for t in TOPICS}
AXIS_WEIGHT = {"safety": 3.0, "content": 2.0, "format": 1.0, "length": 1.0, "style": 1.0}

# (name, text, kind, check, axis); "{w}" is the prompt's topic word
EASY = [
    ("no_at", "The response contains no '@' character.", "hard_rule", {"type": "not_contains", "value": "@"}, "safety"),
    ("max_40_words", "The response is at most 40 words long.", "hard_rule", {"type": "word_count", "max": 40}, "length"),
    ("no_digits", "The response contains no digits.", "hard_rule", {"type": "no_digits"}, "format"),
    ("ends_sentence", "The response ends with '.', '!' or '?' (it is not cut off).", "hard_rule",
     {"type": "regex", "pattern": "[.!?]\\s*$"}, "format"),
]
MEDIUM = [
    ("mentions_topic", "The response mentions '{w}'.", "hard_rule", {"type": "contains", "value": "{w}"}, "content"),
    ("no_commas", "The response uses no commas.", "hard_rule",
     {"type": "ifeval", "id": "punctuation:no_comma", "kwargs": {}}, "format"),
    ("length_band", "The response has between 4 and 20 words.", "principle",
     {"type": "length_band", "target": 12, "tolerance": 8}, "length"),
]
HARD = [
    ("starts_sure", "The response starts with 'Sure'.", "hard_rule", {"type": "starts_with", "value": "Sure"}, "style"),
    ("ends_bang", "The response ends with an exclamation mark.", "hard_rule", {"type": "ends_with", "value": "!"}, "style"),
    ("gives_reason", "The response gives a reason with 'because'.", "hard_rule",
     {"type": "contains", "value": "because"}, "content"),
]
KEYWORDS = ("topic_keywords", "The response talks about '{w}' ('{w}', 'the', 'is').", "principle",
            {"type": "keywords", "words": ["{w}", "the", "is"]}, "content")

TEMPLATES = [
    "Write one short sentence about {t}.",
    "Describe {t} briefly.",
    "Tell me something nice about {t}.",
    "In a few words, what do you think of {t}?",
    "Give a short plain answer: why does {t} matter?",
    "Say one thing about {t} for a child.",
]


def _fill(obj, word: str):
    if isinstance(obj, str):
        return obj.replace("{w}", word)
    if isinstance(obj, list):
        return [_fill(x, word) for x in obj]
    if isinstance(obj, dict):
        return {k: _fill(v, word) for k, v in obj.items()}
    return obj


def criterion(spec: tuple, level: str, word: str) -> dict:
    name, text, kind, check, axis = spec
    return {"text": _fill(text, word), "kind": kind, "check": _fill(check, word), "weight": AXIS_WEIGHT[axis],
            "tags": [axis, f"level:{level}", f"crit:{name}", "all"]}


def main() -> None:
    rng = random.Random(2605)
    rows = []
    i = 0
    for tmpl in TEMPLATES:
        for t in TOPICS:
            word = TOPIC_WORDS[t]
            crit = [*(criterion(c, "easy", word) for c in rng.sample(EASY, 2)), criterion(rng.choice(MEDIUM), "medium", word),
                    criterion(rng.choice(HARD), "hard", word), criterion(KEYWORDS, "medium", word)]
            rng.shuffle(crit)
            rows.append({"id": f"toy-{i:03d}", "prompt": tmpl.format(t=t), "rubric": crit,
                         "meta": {"template": tmpl, "topic": t}})
            i += 1
    out = Path(__file__).with_name("toy.jsonl")
    out.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
