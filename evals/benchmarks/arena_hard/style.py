"""Arena-Hard v2 style control: length and markdown density as features in the Bradley-Terry fit.

Follows lmarena/arena-hard-auto (``show_result.py --control-features markdown length``,
``utils/add_markdown_info.py``, ``utils/math_utils.py``), re-implemented, not copied:

- per answer: token length, and the counts of headers (h1-h6), list items (ordered and
  unordered) and bold spans (``**`` / ``__``) after removing fenced code blocks;
- per battle (model answer vs the baseline answer of the same question): length feature
  ``(l_m - l_b) / (l_m + l_b)``; for each markdown count the density ``count / (length + 1)``
  and the feature ``(d_m - d_b) / (d_m + d_b + 1)``; every column standardized (mean 0,
  unbiased std 1);
- the design matrix: the model's one-hot column +1, the baseline's -1, then the 4 style
  columns; Bradley-Terry = summed binary cross-entropy on the (0 / 0.5 / 1) battle outcomes,
  minimized by torch's L-BFGS algorithm with the official settings (lr 0.1, 50 iterations,
  tolerances 1e-9, coefficients initialised to 0.5), ported step for step to NumPy;
- win rate = ``exp(c_m) / (exp(c_m) + exp(c_b))``; reported as the median over bootstrap
  rounds (resampling battles) with the 5 % / 95 % quantiles, as the official leaderboard.

Documented differences: the official token length is tiktoken's ``o200k_base`` (gpt-4o)
count, whose encoding file cannot be downloaded on offline machines; here
``stand_in_token_len`` counts word runs and single punctuation marks (regex
``\\w+|[^\\w\\s]``) for both answers of a battle. A style column with zero spread (the
official code asserts on the NaN it produces) is set to 0. The bootstrap uses a seeded
generator instead of NumPy's global one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_CODE_BLOCK = re.compile("```([^`]*)```")
_TOKEN = re.compile(r"\w+|[^\w\s]")
STYLE_KEYS = ("token_len", "header_count", "list_count", "bold_count")


def stand_in_token_len(text: str) -> int:
    """Stand-in for tiktoken's o200k token count: word runs plus single punctuation marks."""
    return len(_TOKEN.findall(text))


def style_metadata(answer: str) -> dict[str, int]:
    """The official per-answer style metadata (counts summed per element kind)."""
    body = answer
    for block in _CODE_BLOCK.findall(answer):
        body = body.replace(block, "")
    headers = sum(len(re.findall(rf"^#{{{k}}}\s", body, re.MULTILINE)) for k in range(1, 7))
    lists = len(re.findall(r"^\s*\d+\.\s", body, re.MULTILINE)) + len(re.findall(r"^\s*[-*+]\s", body, re.MULTILINE))
    bold = len(re.findall(r"\*\*[^*\n]+\*\*", body)) + len(re.findall(r"__[^_\n]+__", body))
    return {"token_len": stand_in_token_len(answer), "header_count": headers, "list_count": lists, "bold_count": bold}


def battle_features(model_meta: Sequence[dict[str, int]], baseline_meta: Sequence[dict[str, int]]) -> np.ndarray:
    """(n, 4) standardized style features of n battles (model vs baseline answer)."""
    m = np.array([[float(d[k]) for k in STYLE_KEYS] for d in model_meta])
    b = np.array([[float(d[k]) for k in STYLE_KEYS] for d in baseline_meta])
    if m.shape != b.shape or m.ndim != 2 or len(m) == 0:
        raise ValueError("battle_features: need one model and one baseline metadata per battle")
    out = np.zeros_like(m)
    tot = m[:, 0] + b[:, 0]
    out[:, 0] = np.divide(m[:, 0] - b[:, 0], tot, out=np.zeros(len(m)), where=tot > 0)
    md, bd = m[:, 1:] / (m[:, :1] + 1), b[:, 1:] / (b[:, :1] + 1)
    out[:, 1:] = (md - bd) / (md + bd + 1)
    sd = out.std(axis=0, ddof=1) if len(out) > 1 else np.zeros(out.shape[1])
    ok = sd > 0
    out[:, ok] = (out[:, ok] - out[:, ok].mean(axis=0)) / sd[ok]
    out[:, ~ok] = 0.0
    return out


def _loss_grad(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Summed binary cross-entropy with logits (torch's stable form) and its gradient."""
    z = X @ w
    loss = np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    return float(loss), (X.T @ (1.0 / (1.0 + np.exp(-z)) - y)).astype(X.dtype)


def fit_bt(features: np.ndarray, outcomes: np.ndarray, lr: float = 0.1, max_iter: int = 50,
           tol: float = 1e-9, history_size: int = 100) -> np.ndarray:
    """Bradley-Terry coefficients by the official recipe: ``torch.optim.LBFGS(lr=0.1, max_iter=50,
    tolerance_grad=tolerance_change=1e-9)``, no line search, one ``step``, coefficients starting
    at 0.5. The same algorithm step for step in NumPy float32 (torch's costs ~0.1 s per fit on
    small tensors; a bootstrap needs a hundred fits); it does not run to convergence, as the
    official fit does not."""
    X = np.asarray(features, dtype=np.float32)
    y = np.asarray(outcomes, dtype=np.float32)
    w = np.full(X.shape[1], 0.5, dtype=np.float32)
    max_eval = int(max_iter * 1.25)
    loss, g = _loss_grad(X, y, w)
    if np.abs(g).max() <= tol:
        return w.astype(float)
    dirs: list[np.ndarray] = []
    stps: list[np.ndarray] = []
    ro: list[float] = []
    h_diag, d, t, prev_g = 1.0, -g, lr, g
    evals, n_iter = 1, 0
    while n_iter < max_iter:
        n_iter += 1
        if n_iter == 1:
            d = -g
        else:
            yk, sk = g - prev_g, d * t
            ys = float(yk @ sk)
            if ys > 1e-10:
                if len(dirs) == history_size:
                    dirs.pop(0), stps.pop(0), ro.pop(0)
                dirs.append(yk), stps.append(sk), ro.append(1.0 / ys)
                h_diag = ys / float(yk @ yk)
            q, al = -g, [0.0] * len(dirs)
            for i in range(len(dirs) - 1, -1, -1):
                al[i] = float(stps[i] @ q) * ro[i]
                q = q - al[i] * dirs[i]
            r = q * np.float32(h_diag)
            for i in range(len(dirs)):
                r = r + (al[i] - float(dirs[i] @ r) * ro[i]) * stps[i]
            d = r.astype(np.float32)
        prev_g, prev_loss = g.copy(), loss
        t = min(1.0, 1.0 / float(np.abs(g).sum())) * lr if n_iter == 1 else lr
        if float(g @ d) > -tol:
            break
        w = (w + np.float32(t) * d).astype(np.float32)
        if n_iter != max_iter:
            loss, g = _loss_grad(X, y, w)
            evals += 1
        if n_iter == max_iter or evals >= max_eval or np.abs(g).max() <= tol:
            break
        if np.abs(d * t).max() <= tol or abs(loss - prev_loss) < tol:
            break
    return w.astype(float)


def design(features: np.ndarray) -> np.ndarray:
    """[baseline column (-1), model column (+1), style columns]: the official one-hot layout for one model
    ('baseline' sorts before 'model')."""
    n = len(features)
    return np.concatenate([-np.ones((n, 1)), np.ones((n, 1)), features], axis=1)


def win_rate_from_coefs(coef: np.ndarray) -> float:
    """exp(c_model) / (exp(c_model) + exp(c_baseline))."""
    return float(1.0 / (1.0 + np.exp(coef[0] - coef[1])))


def style_controlled_win_rate(outcomes: Sequence[float], features: np.ndarray, n_bootstrap: int = 100,
                              seed: int = 0) -> dict[str, float]:
    """Style-controlled win rate (0-1) against the baseline: bootstrap median and 5 % / 95 % quantiles,
    plus the full-data fit and its style coefficients (length, headers, lists, bold)."""
    y = np.asarray(outcomes, dtype=float)
    if len(y) < 2 or len(y) != len(features):
        raise ValueError("style_controlled_win_rate: need at least two battles with one feature row each")
    X = design(np.asarray(features, dtype=float))
    full = fit_bt(X, y)
    rng = np.random.default_rng(seed)
    rates = [win_rate_from_coefs(fit_bt(X[idx], y[idx]))
             for idx in (rng.integers(0, len(y), size=len(y)) for _ in range(n_bootstrap))]
    out = {"win_rate_full_fit": win_rate_from_coefs(full)}
    if rates:
        out.update(win_rate=float(np.quantile(rates, 0.5)), ci_low=float(np.quantile(rates, 0.05)),
                   ci_high=float(np.quantile(rates, 0.95)))
    else:
        out.update(win_rate=out["win_rate_full_fit"], ci_low=out["win_rate_full_fit"], ci_high=out["win_rate_full_fit"])
    out.update({f"coef_{k}": float(c) for k, c in zip(("length", "header", "list", "bold"), full[2:], strict=True)})
    return out
