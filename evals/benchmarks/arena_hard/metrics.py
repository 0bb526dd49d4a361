"""Arena-Hard v2's official metric (``show_result.py``), as pure functions.

5-level verdicts in both positions -> battle scores (strong verdicts weighted 3x) -> Bradley-Terry fit ->
win rate against the baseline, bootstrap CI over questions. Style control is in ``style.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evals.metrics import nonempty

VERDICTS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
STRONG_WEIGHT = 3  # Arena-Hard: a strong verdict counts as 3 battles
# Arena-Hard's table: A's score for each verdict, repeated by the strong weight
LABEL_TO_SCORE: dict[str, list[float]] = {
    "A>>B": [1.0] * STRONG_WEIGHT, "A>B": [1.0], "A=B": [0.5], "B>A": [0.0], "B>>A": [0.0] * STRONG_WEIGHT,
}


def verdict_from_margin(margin: float, tie: float = 0.05, strong: float = 0.3) -> str:
    """5-level verdict from ``score(A) - score(B)`` (normalized rubric scores in [0, 1]).

    ``|margin| < tie`` -> ``A=B``; ``tie <= |margin| < strong`` -> slight (``A>B``/``B>A``);
    ``|margin| >= strong`` -> strong (``A>>B``/``B>>A``).
    """
    if np.isnan(margin):
        raise ValueError("verdict_from_margin: margin is NaN (unscorable pair)")
    if not 0 <= tie <= strong:
        raise ValueError("verdict_from_margin: need 0 <= tie <= strong")
    a = abs(margin)
    if a < tie:
        return "A=B"
    if a < strong:
        return "A>B" if margin > 0 else "B>A"
    return "A>>B" if margin > 0 else "B>>A"


def arena_battle_scores(game_baseline_first: str, game_model_first: str, weight: int = STRONG_WEIGHT) -> list[float]:
    """Model's battle scores from the two games of one question (Arena-Hard's ``show_result``).

    Game 1 puts the baseline in position A and the model in B; game 2 swaps them.
    Scores are from the model's side: 1 win, 0 loss, 0.5 tie; a strong verdict repeats ``weight`` times.
    """
    table = {k: ([v[0]] * weight if len(v) > 1 else v) for k, v in LABEL_TO_SCORE.items()}
    for g in (game_baseline_first, game_model_first):
        if g not in table:
            raise ValueError(f"unknown verdict {g!r}; expected one of {VERDICTS}")
    return list(table[game_model_first]) + [1.0 - s for s in table[game_baseline_first]]


def bradley_terry(battles: Sequence[tuple[str, str, float]], anchor: str | None = None,
                  scale: float = 400.0, base: float = 10.0, init_rating: float = 1000.0) -> dict[str, float]:
    """Bradley-Terry ratings from (model_a, model_b, score of a in {0, 0.5, 1}) battles.

    A logistic regression without intercept on +1/-1 design columns (sklearn,
    effectively unregularized), ties as half a win and half a loss (sample
    weights), in Elo units like Arena-Hard; ``anchor`` gets ``init_rating``.
    """
    from sklearn.linear_model import LogisticRegression

    nonempty("bradley_terry", battles)
    models = sorted({m for a, b, _ in battles for m in (a, b)})
    if len(models) < 2:
        raise ValueError("bradley_terry: need at least two distinct models")
    idx = {m: i for i, m in enumerate(models)}
    rows, ys, ws = [], [], []
    for a, b, s in battles:
        if a == b:
            raise ValueError(f"bradley_terry: a battle of {a!r} against itself")
        if not 0.0 <= s <= 1.0:
            raise ValueError(f"bradley_terry: score {s} outside [0, 1]")
        x = np.zeros(len(models))
        x[idx[a]], x[idx[b]] = np.log(base), -np.log(base)
        for y, w in ((1, s), (0, 1.0 - s)):
            if w > 0:
                rows.append(x)
                ys.append(y)
                ws.append(w)
    ys_arr = np.asarray(ys)
    if ys_arr.min() == ys_arr.max():
        # every battle won by the same side: the MLE is at infinity; report it as such
        sign = 1.0 if ys_arr[0] == 1 else -1.0
        first_a = battles[0][0]
        out = {m: init_rating for m in models}
        out[first_a] = init_rating + sign * np.inf
        return _anchor(out, anchor, init_rating)
    lr = LogisticRegression(fit_intercept=False, C=1e6, tol=1e-10, max_iter=10_000)
    lr.fit(np.asarray(rows), ys_arr, sample_weight=np.asarray(ws))
    ratings = {m: float(scale * lr.coef_[0][idx[m]] + init_rating) for m in models}
    return _anchor(ratings, anchor, init_rating)


def _anchor(ratings: dict[str, float], anchor: str | None, init_rating: float) -> dict[str, float]:
    if anchor is None:
        return ratings
    if anchor not in ratings:
        raise ValueError(f"bradley_terry: anchor {anchor!r} is not in the battles")
    shift = ratings[anchor] - init_rating
    if np.isinf(shift):
        return ratings
    return {m: r - shift for m, r in ratings.items()}


def win_rate_from_ratings(r_model: float, r_baseline: float, scale: float = 400.0, base: float = 10.0) -> float:
    """P(model beats baseline) under Bradley-Terry."""
    d = r_baseline - r_model
    if np.isinf(d):
        return 0.0 if d > 0 else 1.0
    return float(1.0 / (1.0 + base ** (d / scale)))


def bt_win_rate(scores: Sequence[float], model: str = "model", baseline: str = "baseline") -> float:
    """Win rate against the baseline from the model's battle scores (Bradley-Terry fit)."""
    nonempty("bt_win_rate", scores)
    r = bradley_terry([(model, baseline, float(s)) for s in scores], anchor=baseline)
    return win_rate_from_ratings(r[model], r[baseline])


def bt_win_rate_ci(battles_per_question: Sequence[Sequence[float]], n_bootstrap: int = 100, seed: int = 0,
                   alpha: float = 0.05) -> dict[str, float]:
    """Win rate with a bootstrap CI; resampling is over questions (each keeps all its battles)."""
    nonempty("bt_win_rate_ci", battles_per_question)
    flat = [s for q in battles_per_question for s in q]
    wr = bt_win_rate(flat)
    rng = np.random.default_rng(seed)
    n = len(battles_per_question)
    boots = []
    for _ in range(n_bootstrap):
        pick = rng.integers(0, n, size=n)
        boots.append(bt_win_rate([s for i in pick for s in battles_per_question[i]]))
    lo, hi = np.quantile(boots, [alpha / 2, 1 - alpha / 2]) if boots else (wr, wr)
    return {"win_rate": wr, "ci_low": float(lo), "ci_high": float(hi)}
