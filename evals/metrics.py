"""The official metrics of the six benchmarks, as pure functions (no judge, no model, no I/O).

Every function validates its input and raises ``ValueError`` with a clear message
on empty or inconsistent input. Each mirrors the benchmark's reference code; the
docstrings name every deviation.

- HealthBench (openai/simple-evals ``healthbench_eval.py``): per example,
  points of met criteria / sum of positive points; overall = mean clipped to
  [0, 1]; bootstrap std of the clipped mean.
- WritingBench: mean of per-criterion 1-10 scores (per query, then over queries).
- Arena-Hard v2 (``show_result.py``): 5-level verdicts in both positions ->
  battle scores (strong verdicts weighted 3x) -> Bradley-Terry fit -> win rate
  against the baseline, bootstrap CI over battles.
- AlpacaEval 2: raw win rate and the length-controlled win rate (a GLM).
- IFEval: prompt- and instruction-level accuracy (strict or loose verdicts).
- InFoBench: DRFR = satisfied requirements / all requirements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# ----------------------------------------------------------------------------- helpers


def _nonempty(name: str, values: Sequence) -> None:
    if len(values) == 0:
        raise ValueError(f"{name}: no values (empty input)")


def mean_ignoring_none(values: Sequence[float | None], name: str = "mean") -> float:
    """Mean of the non-None values; raises if there are none."""
    _nonempty(name, values)
    vals = [float(v) for v in values if v is not None and not np.isnan(v)]
    if not vals:
        raise ValueError(f"{name}: every value is None/NaN")
    return float(np.mean(vals))


# ----------------------------------------------------------------------------- HealthBench


def healthbench_example_score(points: Sequence[float], met: Sequence[bool | None]) -> float | None:
    """One example: sum of the points of met criteria / sum of the positive points.

    A met criterion with negative points (a pitfall) subtracts its points, so the
    score can be negative (it is clipped only after averaging, as in the
    reference). A criterion the judge could not score (``None``) is left out of
    numerator and denominator. A rubric without positive points (only pitfalls,
    or every positive criterion unscorable) has no defined score: ``None``, and
    the example is left out of the mean (the reference returns None too).
    """
    if len(points) != len(met):
        raise ValueError(f"healthbench: {len(points)} points for {len(met)} verdicts")
    _nonempty("healthbench_example_score", points)
    possible = sum(float(p) for p, m in zip(points, met, strict=True) if p > 0 and m is not None)
    if possible <= 0:
        return None
    achieved = sum(float(p) for p, m in zip(points, met, strict=True) if m)
    return achieved / possible


def clipped_mean(values: Sequence[float]) -> float:
    _nonempty("clipped_mean", values)
    return float(np.clip(np.mean(np.asarray(values, dtype=float)), 0.0, 1.0))


def bootstrap_std_clipped_mean(values: Sequence[float], n_bootstrap: int = 1000, seed: int = 0) -> float:
    """Std of the clipped mean over ``n_bootstrap`` resamples (the reference's ``bootstrap_std``)."""
    _nonempty("bootstrap_std_clipped_mean", values)
    v = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(v), size=(n_bootstrap, len(v)))
    means = np.clip(v[idx].mean(axis=1), 0.0, 1.0)
    return float(np.std(means))


def healthbench_overall(example_scores: Sequence[float | None], n_bootstrap: int = 1000,
                        seed: int = 0) -> dict[str, float]:
    """Overall score = clipped mean of the defined per-example scores, with bootstrap std."""
    _nonempty("healthbench_overall", example_scores)
    vals = [s for s in example_scores if s is not None]
    if not vals:
        raise ValueError("healthbench_overall: no example has a defined score (no positive points)")
    return {
        "overall_score": clipped_mean(vals),
        "overall_score_bootstrap_std": bootstrap_std_clipped_mean(vals, n_bootstrap, seed),
        "n_scored": float(len(vals)),
    }


def healthbench_tag_scores(
    points: Sequence[Sequence[float]],
    met: Sequence[Sequence[bool | None]],
    criterion_tags: Sequence[Sequence[Sequence[str]]],
    example_tags: Sequence[Sequence[str]],
) -> dict[str, float]:
    """Per-tag clipped means, as the reference computes them.

    Example-level tags (``theme:...``): the mean of the example scores of the
    examples carrying the tag. Rubric-level tags (``axis:...``): for each example
    the score restricted to its criteria with that tag (None without positive
    points there), then the clipped mean over examples.
    """
    n = len(points)
    if not (n == len(met) == len(criterion_tags) == len(example_tags)):
        raise ValueError("healthbench_tag_scores: inputs of different lengths")
    _nonempty("healthbench_tag_scores", points)
    per_tag: dict[str, list[float]] = {}
    for p, m, ctags, etags in zip(points, met, criterion_tags, example_tags, strict=True):
        s = healthbench_example_score(p, m)
        if s is not None:
            for t in etags:
                per_tag.setdefault(t, []).append(s)
        for t in sorted({t for tags in ctags for t in tags}):
            sel = [k for k, tags in enumerate(ctags) if t in tags]
            st = healthbench_example_score([p[k] for k in sel], [m[k] for k in sel])
            if st is not None:
                per_tag.setdefault(t, []).append(st)
    return {t: clipped_mean(v) for t, v in sorted(per_tag.items())}


# ----------------------------------------------------------------------------- WritingBench


def writingbench_query_score(scores: Sequence[float | None]) -> float | None:
    """Mean of a query's criterion scores (1-10); unscorable criteria are left out."""
    _nonempty("writingbench_query_score", scores)
    vals = [float(s) for s in scores if s is not None]
    for v in vals:
        if not 1.0 <= v <= 10.0:
            raise ValueError(f"writingbench: criterion score {v} outside 1-10")
    return float(np.mean(vals)) if vals else None


def writingbench_score(per_query: Sequence[Sequence[float | None]]) -> float:
    """Benchmark score: mean over queries of the mean criterion score (1-10 scale)."""
    _nonempty("writingbench_score", per_query)
    return mean_ignoring_none([writingbench_query_score(q) for q in per_query], "writingbench_score")


def to_writingbench_scale(score_0_10: int | None) -> float | None:
    """The judges' 0-10 principle score -> WritingBench's 1-10 scale (0 becomes 1)."""
    if score_0_10 is None:
        return None
    return float(min(10, max(1, int(score_0_10))))


# ----------------------------------------------------------------------------- pairwise verdicts

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

    _nonempty("bradley_terry", battles)
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
    _nonempty("bt_win_rate", scores)
    r = bradley_terry([(model, baseline, float(s)) for s in scores], anchor=baseline)
    return win_rate_from_ratings(r[model], r[baseline])


def bt_win_rate_ci(battles_per_question: Sequence[Sequence[float]], n_bootstrap: int = 100, seed: int = 0,
                   alpha: float = 0.05) -> dict[str, float]:
    """Win rate with a bootstrap CI; resampling is over questions (each keeps all its battles)."""
    _nonempty("bt_win_rate_ci", battles_per_question)
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


# ----------------------------------------------------------------------------- AlpacaEval 2


def preference_from_margin(margin: float, tie: float = 0.05) -> float:
    """AlpacaEval preference of the model over the reference in [0, 1] (1 model wins, 0.5 tie)."""
    if np.isnan(margin):
        raise ValueError("preference_from_margin: margin is NaN (unscorable pair)")
    if abs(margin) < tie:
        return 0.5
    return 1.0 if margin > 0 else 0.0


def win_rate(preferences: Sequence[float]) -> float:
    """Raw win rate in percent: mean preference (ties count half)."""
    _nonempty("win_rate", preferences)
    p = np.asarray(preferences, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("win_rate: preferences must lie in [0, 1]")
    return float(100.0 * p.mean())


def _continuous_logloss(y_true, y_pred, true_prob, true_sample_weight=None):
    """AlpacaEval's scorer: log loss against the soft labels the duplicated rows stand for."""
    y = np.where(np.asarray(y_true) == 1, true_prob, 1 - np.asarray(true_prob))
    p = np.clip(y_pred, 1e-15, 1 - 1e-15)
    ll = y * np.log(p) + (1 - y) * np.log(1 - p)
    if true_sample_weight is not None:
        ll = ll * true_sample_weight
    return -np.mean(ll)


def length_controlled_win_rate(
    preferences: Sequence[float],
    model_lengths: Sequence[int],
    reference_lengths: Sequence[int],
    instruction_difficulty: Sequence[float] | None = None,
    C: float = 100.0,
    n_splits: int = 5,
) -> float:
    """AlpacaEval 2's length-controlled win rate (percent), as ``alpaca_eval.metrics.glm_winrate``.

    The GLM ``preference ~ tanh(std_delta_len) [+ instruction_difficulty] + 1`` with
    ``std_delta_len = (len_reference - len_model) / std`` (pandas std, ddof 1, lengths in
    characters), fit on soft labels (each row twice: label 1 weighted by the preference, label 0
    by 1 - preference) with the package's estimator: ``LogisticRegressionCV`` (L1, liblinear, no
    intercept, ``random_state=123``), 5-fold ``GroupKFold`` over instructions scored by the
    continuous log loss; then the mean prediction with ``std_delta_len = 0``. Checked against the
    package itself in ``tests/evals/benchmarks/test_fidelity.py``.

    Differences (documented, not hidden): the package's default GLM (``length_controlled_v1``)
    also regularizes toward its leaderboard's "gamed" baseline annotations and uses the
    leaderboard-wide instruction difficulty, both downloaded from the hub at run time; here
    difficulty is used when given (``length_controlled_noreg``), else dropped
    (``length_controlled_minimal``), and there is no regularization to the gamed baselines.
    With fewer than ``n_splits`` instructions the fit is a plain ``LogisticRegression(C)``
    (the package's ``n_splits=0`` path); the package itself would fail there. All wins or all
    losses give 100 / 0 (the limit), where liblinear degenerates.
    """
    n = len(preferences)
    _nonempty("length_controlled_win_rate", preferences)
    if n != len(model_lengths) or n != len(reference_lengths):
        raise ValueError("length_controlled_win_rate: preferences and lengths differ in length")
    if instruction_difficulty is not None and len(instruction_difficulty) != n:
        raise ValueError("length_controlled_win_rate: one difficulty per instruction")
    p = np.asarray(preferences, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("length_controlled_win_rate: preferences must lie in [0, 1]")
    delta = np.asarray(reference_lengths, dtype=float) - np.asarray(model_lengths, dtype=float)
    sd = delta.std(ddof=1) if n > 1 else 0.0
    cols = [np.tanh(delta / sd) if sd > 0 else np.zeros(n)]
    if instruction_difficulty is not None:
        cols.append(np.asarray(instruction_difficulty, dtype=float))
    cols.append(np.ones(n))
    X = np.stack(cols, axis=1)
    if p.min() == p.max() and p[0] in (0.0, 1.0):
        # all wins / all losses: liblinear then sees one class only and returns the same ~99.5 for both
        # (the package would too); the GLM's limit is 100 / 0
        return float(100.0 * p[0])
    import sklearn
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import GroupKFold

    Xd = np.concatenate([X, X])
    yd = np.concatenate([np.ones(n), np.zeros(n)])
    true_prob = np.concatenate([p, 1.0 - p])
    groups = np.concatenate([np.arange(n), np.arange(n)])
    kw = dict(random_state=123, dual=False, penalty="l1", solver="liblinear", fit_intercept=False)
    with sklearn.config_context(enable_metadata_routing=True):
        if n >= n_splits > 0:
            scorer = make_scorer(_continuous_logloss, response_method="predict_proba", greater_is_better=False)
            scorer = scorer.set_score_request(true_sample_weight=True, true_prob=True)
            model = LogisticRegressionCV(cv=GroupKFold(n_splits=n_splits), scoring=scorer, **kw)
            model.set_fit_request(sample_weight=True)
            model.fit(Xd, yd, sample_weight=true_prob, groups=groups, true_sample_weight=None, true_prob=true_prob)
        else:
            model = LogisticRegression(C=C, **kw)
            model.fit(Xd, yd, sample_weight=true_prob)
    X0 = X.copy()
    X0[:, 0] = 0.0
    return float(100.0 * model.predict_proba(X0)[:, 1].mean())


# ----------------------------------------------------------------------------- IFEval / InFoBench


def prompt_level_accuracy(verdicts: Sequence[Sequence[bool]]) -> float:
    """Share of prompts whose instructions are all followed."""
    _nonempty("prompt_level_accuracy", verdicts)
    for v in verdicts:
        _nonempty("prompt_level_accuracy (a prompt without instructions)", v)
    return float(np.mean([all(v) for v in verdicts]))


def instruction_level_accuracy(verdicts: Sequence[Sequence[bool]]) -> float:
    """Share of all instructions followed (pooled over prompts)."""
    _nonempty("instruction_level_accuracy", verdicts)
    flat = [bool(x) for v in verdicts for x in v]
    _nonempty("instruction_level_accuracy (no instructions)", flat)
    return float(np.mean(flat))


def ifeval_loose_variants(response: str) -> list[str]:
    """lm-eval's loose IFEval variants: as is, asterisks removed, first/last/both lines removed."""
    r = response.split("\n")
    first = "\n".join(r[1:]).strip()
    last = "\n".join(r[:-1]).strip()
    both = "\n".join(r[1:-1]).strip()
    return [response, response.replace("*", ""), first, last, both,
            first.replace("*", ""), last.replace("*", ""), both.replace("*", "")]


def drfr(verdicts: Sequence[Sequence[bool | None]]) -> float:
    """InFoBench's Decomposed Requirements Following Ratio: satisfied / total requirements.

    Unscorable requirements (``None``) are left out of numerator and denominator.
    """
    _nonempty("drfr", verdicts)
    flat = [bool(x) for v in verdicts for x in v if x is not None]
    _nonempty("drfr (no scorable requirements)", flat)
    return float(np.mean(flat))


def group_means(values: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Per-dimension means (dimensions without values are dropped)."""
    return {k: float(np.mean(v)) for k, v in sorted(values.items()) if len(v)}
