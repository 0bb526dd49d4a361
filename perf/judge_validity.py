"""Valid verdicts in experiment=paper_mini's training loop: why requests failed, and the fix, measured.

    flock /tmp/focal-cpu.lock python perf/judge_validity.py [--rollouts 3] [--rows 0,1,2,3,4] [--variants v3,group]

The rows are paper_mini's training data (``data=healthbench_sample``: 5 HealthBench prompts whose
rubrics have 3 to 23 criteria), its rollouts are sampled from the same SmolLM2-135M-Instruct on
the same llama.cpp server (``train.temperature``, ``train.max_completion_length`` tokens, a fixed
seed each), and its judge is ``judge=local`` as composed for paper_mini (rubric mode, json_schema,
dialect llamacpp, temperature 0). Every variant sends the same requests, a group's rollouts one
after another as training does (the server reuses the shared prompt prefix); bodies are posted
here so that ``finish_reason`` and ``usage`` can be read; replies are validated by the judge's own
reply models.

Variants: ``v2 (before)`` is the request as it was (prompt v2 with the criteria-count line after
the response, Principle positions spelled ``minimum``/``maximum`` only, ``max_tokens`` 256);
``v2 + enum`` changes only the schema (the fix: ``enum`` 0..10, which llama.cpp's grammar
enforces; ``max_tokens`` raised to the schema's longest reply); ``v3`` is the judge's request
now (the rollout last) with its default rationale (at most 200 characters); ``v3, no rationale``
is ``judge.rationale_chars=0``; ``group`` / ``group, no rationale`` are ``judge.mode=group`` (one
request per row: all its rollouts, prompt ``group-v1``) with and without the rationale. Tables:
valid share (of rollouts) and why the rest failed (requests); requests, tokens and seconds per
rollout; and agreement of the verdicts between variants on the rollouts valid in both.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.scores import met  # noqa: E402
from evals.judges import prompts  # noqa: E402
from evals.judges.base import JudgeRequest  # noqa: E402
from evals.judges.openai_judge import OpenAIJudge  # noqa: E402
from evals.judges.replies import InvalidReply, json_schema, parse_reply, rubric_model  # noqa: E402
from harness.compose import compose_sweep  # noqa: E402
from harness.models.judge_server import local_judge_server  # noqa: E402


def post(url: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    req = urllib.request.Request(
        url + "/chat/completions", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=900) as r:
        return json.loads(r.read()), time.perf_counter() - t0


def _strip_enum(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_enum(v) for k, v in node.items() if k != "enum"}
    return [_strip_enum(x) for x in node] if isinstance(node, list) else node


def v2_body(judge: OpenAIJudge, r: JudgeRequest, enum: bool) -> tuple[type, dict[str, Any]]:
    """The request as prompt v2 built it: the criteria-count line after the response."""
    model = rubric_model(tuple(r.rubric.kinds))
    messages = prompts.rubric_messages(r.question, r.rubric, r.response)
    user = messages[1]["content"]
    head, resp = user.rsplit("\n\n<response>\n", 1)
    body_text, count_line = head.rsplit("\n\n", 1)
    messages[1] = {"role": "user", "content": f"{body_text}\n\n<response>\n{resp}\n\n{count_line}"}
    body = judge.json_body(messages, model)
    if not enum:
        body["response_format"]["schema"] = _strip_enum(json_schema(model))
        body["max_tokens"] = judge.max_tokens
    return model, body


def classify(data: dict[str, Any], model: type) -> tuple[str, list | None]:
    choice = data["choices"][0]
    if choice.get("finish_reason") == "length":
        return "cut at max_tokens", None
    try:
        reply = parse_reply(model, choice["message"]["content"])
    except InvalidReply as e:
        msg = str(e)
        return ("score out of range" if "less than or equal" in msg or "greater than" in msg else f"other: {msg[:60]}"), None
    return "valid", list(reply.scores)  # type: ignore[attr-defined]


def agreement(kinds_list: list[tuple[str, ...]], a: list, b: list) -> tuple[int, str, str, str]:
    """(requests valid in both, Hard Rule verdicts equal, Principle scores equal, within 2 points)."""
    hard: list[bool] = []
    prin: list[tuple[int, int]] = []
    n = 0
    for kinds, x, y in zip(kinds_list, a, b, strict=True):
        if x is None or y is None:
            continue
        n += 1
        for kind, u, v in zip(kinds, x, y, strict=True):
            if kind == "hard_rule":
                hard.append(met(u) == met(v))
            else:
                prin.append((u, v))

    def pct(v: list[bool]) -> str:
        return f"{sum(v) / len(v):.0%} of {len(v)}" if v else "-"

    return n, pct(hard), pct([u == v for u, v in prin]), pct([abs(u - v) <= 2 for u, v in prin])


VARIANTS = {  # short name: (table name, rationale_chars, mode)
    "v2": ("v2 (before): no enum, max_tokens 256", 200, "v2"),
    "v2enum": ("v2 + enum (the fix only)", 200, "v2enum"),
    "v3": ("v3, rationale <= 200 chars (default)", 200, "rubric"),
    "v3r0": ("v3, no rationale (rationale_chars=0)", 0, "rubric"),
    "group": ("group-v1, rationale <= 200 (mode=group)", 200, "group"),
    "group0": ("group-v1, no rationale (mode=group, rationale_chars=0)", 0, "group"),
}
PAIRS = [("v2enum", "v3"), ("v3", "v3r0"), ("v2enum", "v3r0"), ("v3", "group"), ("v3r0", "group0"), ("group", "group0")]


def batches(mode: str, reqs: list[JudgeRequest], rollouts: int) -> list[list[JudgeRequest]]:
    """What one request carries: one rollout, or (group mode) one row's rollouts."""
    if mode == "group":
        return [reqs[i : i + rollouts] for i in range(0, len(reqs), rollouts)]
    return [[r] for r in reqs]


def per_rollout(sc: list | None, n: int) -> list:
    """A request's verdicts per rollout: a rubric reply's scores, or a group reply's lists."""
    if sc is None:
        return [None] * n
    return [list(x) for x in sc] if n > 1 or (sc and isinstance(sc[0], tuple)) else [sc]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rollouts", type=int, default=3, help="rollouts a row (paper_mini samples 2 a step)")
    ap.add_argument("--rows", default="", help="row indices (default: all 5)")
    ap.add_argument("--variants", default="v2,v2enum,v3,v3r0", help=f"which of {','.join(VARIANTS)}")
    args = ap.parse_args()
    chosen = [v.strip() for v in args.variants.split(",") if v.strip()]
    if bad := [v for v in chosen if v not in VARIANTS]:
        raise SystemExit(f"--variants: unknown {bad}; use some of {list(VARIANTS)}")
    cfg, _ = compose_sweep(["experiment=paper_mini", "hydra.mode=RUN"])
    from omegaconf import OmegaConf

    from core.data import load_training_examples

    train, held = load_training_examples(cfg.data)
    examples = train + held
    if args.rows:
        examples = [examples[int(i)] for i in args.rows.split(",")]
    node = OmegaConf.to_container(cfg.judge, resolve=True)
    node.pop("_target_")
    print(f"rows: {len(examples)} (criteria {[len(e.rubric) for e in examples]}), {args.rollouts} rollouts each; "
          f"judge=local as in paper_mini: mode={node['mode']} json_mode={node['json_mode']} "
          f"max_tokens={node['max_tokens']} temperature={node['temperature']}", flush=True)  # fmt: skip
    with local_judge_server(str(node["model"])) as url:
        node.update(base_url=url, cache=False, managed=False)
        judges = {(m, rc): OpenAIJudge(**{**node, "mode": m, "rationale_chars": rc})
                  for m in ("rubric", "group") for rc in (0, 200)}  # fmt: skip
        reqs: list[JudgeRequest] = []
        for i, e in enumerate(examples):
            for g in range(args.rollouts):
                data, _ = post(url, {
                    "model": node["model"], "messages": [{"role": "user", "content": e.question}],
                    "temperature": float(cfg.train.temperature), "max_tokens": int(cfg.train.max_completion_length),
                    "seed": 1000 * i + g,
                })  # fmt: skip
                reqs.append(JudgeRequest(e.question, e.rubric, data["choices"][0]["message"]["content"] or ""))

        def make(short: str, batch: list[JudgeRequest]) -> tuple[type, dict[str, Any]]:
            _, rc, mode = VARIANTS[short]
            if mode in ("v2", "v2enum"):
                return v2_body(judges["rubric", 200], batch[0], enum=mode == "v2enum")
            return judges[mode, rc].protocol.body(batch if mode == "group" else batch[0])

        post(url, make("v3", reqs[:1])[1])  # warm up
        rows, verdicts = [], {}
        for short in chosen:
            name, _, mode = VARIANTS[short]
            why: Counter[str] = Counter()
            by_k: dict[int, list[bool]] = {}
            scores, ptok, ctok, secs, mt = [], [], [], [], set()
            for batch in batches(mode, reqs, args.rollouts):
                model, body = make(short, batch)
                mt.add(body["max_tokens"])
                data, dt = post(url, body)
                kind, sc = classify(data, model)
                why[kind] += 1
                by_k.setdefault(len(batch[0].rubric), []).extend([kind == "valid"] * len(batch))
                scores.extend(per_rollout(sc, len(batch)))
                u = data.get("usage") or {}
                ptok.append(u.get("prompt_tokens", 0))
                ctok.append(u.get("completion_tokens", 0))
                secs.append(dt)
            verdicts[short] = scores
            n = len(reqs)
            valid = sum(s is not None for s in scores)
            bad = ", ".join(f"{k} {v}" for k, v in why.most_common() if k != "valid") or "-"
            per_k = " ".join(f"K={k}: {sum(v)}/{len(v)}" for k, v in sorted(by_k.items()))
            rows.append((name, n, len(secs), valid / n, bad, per_k, f"{min(mt)}-{max(mt)}", sum(ptok) / n,
                         sum(ctok) / n, max(ctok), sum(secs) / n))  # fmt: skip
            print(f"  done {name}: {sum(secs):.0f} s", file=sys.stderr, flush=True)
        for j in judges.values():
            j.close()
    print("\n| variant | rollouts | requests | valid (rollouts) | invalid requests, why | valid by criteria count "
          "| max_tokens sent | prompt tokens / rollout | completion tokens / rollout (max a request) | s / rollout |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, n, m, v, bad, per_k, mt, p, c, cmax, s in rows:
        print(f"| {name} | {n} | {m} | {v:.0%} | {bad} | {per_k} | {mt} | {p:.0f} | {c:.0f} ({cmax}) | {s:.1f} |")
    kinds = [tuple(r.rubric.kinds) for r in reqs]
    print("\n| compared (same rows, same rollouts) | rollouts valid in both | Hard Rule verdicts equal "
          "| Principle scores equal | Principle within 2 |")
    print("|---|---|---|---|---|")
    for a, b in PAIRS:
        if a in verdicts and b in verdicts:
            n, hard, eq, near = agreement(kinds, verdicts[a], verdicts[b])
            print(f"| {VARIANTS[a][0]} vs {VARIANTS[b][0]} | {n} | {hard} | {eq} | {near} |")


if __name__ == "__main__":
    main()
