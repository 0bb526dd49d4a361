"""Official-metric fidelity: the harness's numbers against the benchmarks' own code on the same inputs.

- AlpacaEval 2 LC win rate: the ``alpaca-eval`` package's GLM on the same real annotations
  (tests/fixtures/real/alpaca_eval, 40 rows of alpaca-7b vs gpt4_1106_preview).
- IFEval: lm-eval's own ``process_results`` on the real IFEval prompts and the same responses.
- Arena-Hard style control: a recorded run of the official arena-hard-auto fit (the code is not
  vendored: the reference numbers below came from its ``utils/math_utils.py`` on these battles).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from core.layouts import read_rows
from evals.benchmarks.alpaca_eval import metrics
from evals.benchmarks.arena_hard.style import battle_features, design, fit_bt, win_rate_from_coefs
from evals.benchmarks.base import BENCHMARKS

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"
IFEVAL_REAL = BENCHMARKS / "ifeval" / "fixtures" / "real" / "input_data.jsonl"  # ships with the package


def _annotations() -> list[dict]:
    return json.loads((REAL / "alpaca_eval" / "alpaca-7b_annotations.json").read_text(encoding="utf-8"))


def _import_glm_winrate(monkeypatch):
    """alpaca_eval 0.6.6 (the newest) imports ``pkg_resources``, which setuptools >= 81 no longer ships;
    it uses two version helpers, given here from ``packaging`` / ``importlib.metadata`` when missing."""
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        import importlib.metadata
        import types

        from packaging.version import parse

        shim = types.ModuleType("pkg_resources")
        shim.parse_version = parse
        shim.get_distribution = lambda name: types.SimpleNamespace(version=importlib.metadata.version(name))
        monkeypatch.setitem(sys.modules, "pkg_resources", shim)
    from alpaca_eval.metrics import glm_winrate

    return glm_winrate


def _official_lc(monkeypatch, tmp_path, rows, glm: str, difficulty=None) -> float:
    """alpaca_eval's get_length_controlled_winrate; its one hub download (instruction difficulty and
    the leaderboard's gamed annotations, df_gamed.csv) is replaced by a local file of the same shape."""
    import pandas as pd

    glm_winrate = _import_glm_winrate(monkeypatch)

    csv = tmp_path / "df_gamed.csv"
    diff = difficulty if difficulty is not None else [0.0] * len(rows)
    pd.DataFrame({"index": range(len(rows)), "instruction_difficulty": diff, "model": "none"}).to_csv(csv, index=False)
    monkeypatch.setattr(glm_winrate, "hf_hub_download", lambda **kw: str(csv))
    df = pd.DataFrame(rows)
    out = glm_winrate.get_length_controlled_winrate(df, glm_info=glm_winrate.GLM_INFO[glm], save_weights_dir=None,
                                                     is_warn_extreme_changes=False)
    return float(out["length_controlled_winrate"])


def _ours(rows, difficulty=None) -> float:
    prefs = [float(r["preference"]) - 1.0 for r in rows]  # alpaca_eval: 1 = baseline wins, 2 = model wins
    return metrics.length_controlled_win_rate(prefs, [len(r["output_2"]) for r in rows],
                                              [len(r["output_1"]) for r in rows], difficulty)


def test_alpaca_lc_equals_the_packages_glm_on_real_annotations(monkeypatch, tmp_path):
    rows = _annotations()
    assert len(rows) == 40 and {r["generator_2"] for r in rows} == {"alpaca-7b"}
    official = _official_lc(monkeypatch, tmp_path, rows, "length_controlled_minimal")
    ours = _ours(rows)
    assert ours == pytest.approx(official, abs=1e-6)
    raw = metrics.win_rate([float(r["preference"]) - 1.0 for r in rows])
    assert abs(ours - raw) > 0.5  # alpaca-7b's answers are much shorter: the length term matters


def test_alpaca_lc_with_instruction_difficulty_equals_the_packages_noreg_glm(monkeypatch, tmp_path):
    rows = _annotations()
    difficulty = list(np.random.default_rng(0).normal(0.0, 1.0, len(rows)))
    official = _official_lc(monkeypatch, tmp_path, rows, "length_controlled_noreg", difficulty)
    assert _ours(rows, difficulty) == pytest.approx(official, abs=1e-6)


def _ifeval_responses(prompts: list[str]) -> list[str]:
    """Varied responses (case, commas, bullets, JSON, sections, sentence counts) so checks both pass and fail."""
    pool = [
        "sure. here is a short answer in lowercase without any commas at all. it ends here.",
        "* First point.\n* Second point.\n* Third point.",
        '```json\n{"product": "diaper", "comfort": "high"}\n```',
        "SECTION 1\nLine one.\nSECTION 2\nLine two.\nSECTION 3\nLine three.\nSECTION 4\n"
        "Can I get my money back for the classes I missed?",
        "<<A Title>>\nDr. Smith arrived at 5 p.m. on Jan. 3. He met Mr. Jones. They talked. It rained. Done.",
        '"THIS IS ALL IN CAPITALS, WITH A COMMA. P.S. SNEAKER SNEAKER."',
        "Answer one.\n******\nAnswer two.",
        "Is there anything else I can help with?",
        "*highlighted section* and *another one*. War and peace, war and peace. Story, story.",
        "",
        "Here is my answer:\nthis part is all lowercase and has no commas at all\nThanks!",
        "Sure, here it is:\n*highlighted section* and *another highlighted section*",
    ]
    out = [pool[(7 * i + len(p)) % len(pool)] for i, p in enumerate(prompts)]
    first_lower = next(i for i, p in enumerate(prompts) if "lowercase" in p)
    out[first_lower] = pool[-2]  # fails strictly, passes loose (first and last line removed)
    return out


def test_ifeval_equals_lm_evals_own_task_functions_on_real_prompts():
    from evals.benchmarks.ifeval import IFEval
    from evals.judges.rules import RulesJudge

    bench = IFEval(path=str(IFEVAL_REAL))
    rows = read_rows(IFEVAL_REAL)
    # lm-eval's letter_frequency checker replaces a non a-z letter (key 1122 asks for '#') by
    # random.choice(ascii_letters): the official verdict on that row is itself random, so it is left out
    keep = [i for i, r in enumerate(rows) if all(not kw.get("letter") or kw["letter"].isalpha() for kw in r["kwargs"])]
    assert len(keep) == len(rows) - 1
    rows = [rows[i] for i in keep]
    items = [bench.load()[i] for i in keep]
    responses = _ifeval_responses([r["prompt"] for r in rows])
    ours = bench.score(items, responses, RulesJudge()).metrics

    from lm_eval.tasks.ifeval import (
        utils as lm_ifeval,  # after the rules judge pointed NLTK at the real Punkt data
    )

    per = [lm_ifeval.process_results(r, [resp]) for r, resp in zip(rows, responses, strict=True)]
    official = {
        "prompt_level_strict_acc": float(np.mean([p["prompt_level_strict_acc"] for p in per])),
        "prompt_level_loose_acc": float(np.mean([p["prompt_level_loose_acc"] for p in per])),
        "inst_level_strict_acc": lm_ifeval.agg_inst_level_acc([p["inst_level_strict_acc"] for p in per]),
        "inst_level_loose_acc": lm_ifeval.agg_inst_level_acc([p["inst_level_loose_acc"] for p in per]),
    }
    for k, v in official.items():
        assert ours[k] == pytest.approx(v, abs=1e-12), k
    assert 0 < official["inst_level_strict_acc"] < official["inst_level_loose_acc"] < 1  # not degenerate


def test_ifeval_sentence_counts_use_nltks_real_punkt_model():
    """NLTK's trained English model; the old stand-in parameters counted 3 and 1 sentences here."""
    from evals.judges.rules import use_local_nltk

    use_local_nltk()
    import nltk

    found = Path(nltk.data.find("tokenizers/punkt_tab/english"))
    assert "nltk_data-punkt-" in str(found)
    assert len((found / "ortho_context.tab").read_text(encoding="utf-8").splitlines()) > 20_000
    from lm_eval.tasks.ifeval import instructions_util

    assert instructions_util.count_sentences("He works for Acme Corp. in Boston. She does not.") == 2
    assert instructions_util.count_sentences("We left at 5 p.m. The sun was low.") == 2


def _reference_battles() -> list[tuple[dict, dict, float]]:
    rng = np.random.default_rng(20261201)
    rows = []
    for _ in range(30):
        m = {"token_len": int(rng.integers(50, 900)), "header_count": int(rng.integers(0, 6)),
             "list_count": int(rng.integers(0, 12)), "bold_count": int(rng.integers(0, 8))}
        b = {"token_len": int(rng.integers(50, 900)), "header_count": int(rng.integers(0, 6)),
             "list_count": int(rng.integers(0, 12)), "bold_count": int(rng.integers(0, 8))}
        p = 1 / (1 + np.exp(-(0.8 * (m["token_len"] - b["token_len"]) / 500 + 0.2)))
        for _ in range(int(rng.integers(2, 5))):
            u = rng.random()
            rows.append((m, b, 1.0 if u < p - 0.1 else (0.5 if u < p + 0.1 else 0.0)))
    return rows


# Recorded 2026-12-01: lmarena/arena-hard-auto (commit 196f6b8) show_result.py's feature code and
# utils/math_utils.py one_hot_encode + fit_pairwise_model(loss_type="bt") + to_winrate_probabilities,
# run on _reference_battles() (84 battles, models "a_base" vs "b_model"), torch 2.13 CPU.
OFFICIAL_COEFS = [0.17835727334022522, 0.8216428160667419, 0.24300698935985565, 0.021273814141750336,
                  0.03904334828257561, 0.029448172077536583]
OFFICIAL_WIN_RATE = 0.6554957628250122


def test_arena_style_control_reproduces_the_official_fit():
    rows = _reference_battles()
    assert len(rows) == 84
    feats = battle_features([m for m, _, _ in rows], [b for _, b, _ in rows])
    coef = fit_bt(design(feats), np.array([s for _, _, s in rows]))
    assert coef == pytest.approx(OFFICIAL_COEFS, abs=1e-5)
    assert win_rate_from_coefs(coef) == pytest.approx(OFFICIAL_WIN_RATE, abs=1e-6)
    # the length feature carries the planted effect, so control moves the win rate off the raw mean
    assert coef[2] > 0.1
