"""AlpacaEval 2's official metrics, as pure functions: the raw win rate and the length-controlled win rate (a GLM)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evals.metrics import nonempty


def preference_from_margin(margin: float, tie: float = 0.05) -> float:
    """AlpacaEval preference of the model over the reference in [0, 1] (1 model wins, 0.5 tie)."""
    if np.isnan(margin):
        raise ValueError("preference_from_margin: margin is NaN (unscorable pair)")
    if abs(margin) < tie:
        return 0.5
    return 1.0 if margin > 0 else 0.0


def win_rate(preferences: Sequence[float]) -> float:
    """Raw win rate in percent: mean preference (ties count half)."""
    nonempty("win_rate", preferences)
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
    nonempty("length_controlled_win_rate", preferences)
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
