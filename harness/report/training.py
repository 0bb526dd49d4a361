"""End-of-training summaries of the policies' curves; which keys make the columns is configuration."""

from __future__ import annotations

import math

import pandas as pd

from harness.config import ReportConf


def train_end_columns(curves: pd.DataFrame, settings: ReportConf) -> dict[str, str]:
    """Column -> curve key: ``settings.train_end`` then one column per value of each ``train_end_tags``
    prefix present in the curves (named by the value, ``level:easy`` -> ``easy``)."""
    cols = dict(settings.train_end)
    keys = sorted(set(curves["key"])) if not curves.empty else []
    for p in settings.train_end_tags:
        head = f"satisfaction/tag/{p}:"
        cols.update({k[len(head):]: k for k in keys if k.startswith(head)})
    return cols


def training_end(curves: pd.DataFrame, settings: ReportConf | None = None, last: int | None = None) -> pd.DataFrame:
    """Per policy (method, scale, seed): each configured key averaged over its last ``last`` logged steps,
    plus each ``settings.worst`` column = the lowest of the per-value averages of its tag prefix.
    Empty when the curves carry none of these keys; a key no policy logged stays NaN. Policies whose
    training has not finished (``finished`` False: still running, or killed) are left out."""
    settings = settings or ReportConf()
    last = settings.last_steps if last is None else last
    if "finished" in curves:
        curves = curves[curves["finished"].astype(bool)]
    if curves.empty:
        return pd.DataFrame()
    cols = train_end_columns(curves, settings)
    worst = {col: f"satisfaction/tag/{p}:" for col, p in settings.worst.items()}
    wanted = curves["key"].isin(cols.values())
    for head in worst.values():
        wanted |= curves["key"].str.startswith(head)
    sel = curves[wanted]
    if sel.empty:
        return pd.DataFrame()
    rows = []
    for (method, scale, seed), g in sel.groupby(["method", "scale", "seed"], sort=True):
        end = {k: float(v.sort_values("step")["value"].tail(last).mean()) for k, v in g.groupby("key")}
        row = {"method": method, "scale": scale, "seed": int(seed)}
        row.update({col: end.get(key, math.nan) for col, key in cols.items()})
        for col, head in worst.items():
            vals = [v for k, v in end.items() if k.startswith(head)]
            row[col] = min(vals) if vals else math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=["method", "scale", "seed", *cols, *worst])
