"""The early-stopping reading: dev loss turned up while train loss kept falling, which is variance.

Read on the winner (and counted over the best trials): its dev loss reached its minimum at some epoch and
ended clearly above it, while its train loss went on falling. The course's reading: the network is fitting
the training set's noise; reach first for the orthogonal remedies, L2 (``l2``), dropout (``keep_prob``) and
more data, each of which reduces variance without touching how well the cost is optimised. Early stopping
(``early_stopping: {patience: N}``) also cuts variance, but by stopping the optimisation: it couples the two
goals the recipe keeps apart.
"""

from __future__ import annotations

import math

import pandas as pd

from sweep.analysis.advice import Advice, best_quarter
from sweep.store import schema as S

TURN = 0.05  # dev loss ending this fraction above its minimum counts as turned up


def early_stopping_advice(ranked: pd.DataFrame, history: pd.DataFrame) -> list[Advice]:
    """The reading for the winner, with how many of the best trials share it (nothing when it does not hold).

    Example:
        >>> history = pd.DataFrame({"plan_id": ["a"] * 4, "epoch": [1, 2, 3, 4],
        ...                         "dev_loss": [0.5, 0.3, 0.35, 0.4], "train_loss": [0.5, 0.3, 0.2, 0.1]})
        >>> early_stopping_advice(pd.DataFrame({"plan_id": ["a"]}), history)[0].text.split(":")[0]
        'early stopping'
    """
    needed = {S.PLAN_ID, S.EPOCH, "dev_loss", "train_loss"}
    if ranked.empty or history.empty or not needed <= set(history) or S.PLAN_ID not in ranked:
        return []
    top = list(best_quarter(ranked)[S.PLAN_ID])
    readings = {p: turned_up(history[history[S.PLAN_ID] == p]) for p in top}
    winner = readings.get(top[0])
    if winner is None:
        return []
    best_epoch, dev_min, last_epoch, dev_last, train_at_best, train_last = winner
    shared = sum(r is not None for r in readings.values())
    return [
        Advice(
            "early-stopping",
            f"early stopping: the winner's dev loss turned up after epoch {best_epoch} ({dev_min:.4g} → "
            f"{dev_last:.4g} at epoch {last_epoch}) while its train loss kept falling ({train_at_best:.4g} → "
            f"{train_last:.4g}); {shared} of the top {len(top)} trials show it: variance. Reach first for the "
            "orthogonal remedies: L2 (l2), dropout (keep_prob), more data; early_stopping: {patience: N} also "
            "stops it, but by stopping the optimisation too, so it is not orthogonal",
        )
    ]


def turned_up(rows: pd.DataFrame) -> tuple[int, float, int, float, float, float] | None:
    """(epoch of the dev-loss minimum, that minimum, last epoch, last dev loss, train loss at the minimum,
    last train loss) when dev loss turned up while train loss fell; else None."""
    rows = rows.sort_values(S.EPOCH)
    dev = pd.to_numeric(rows["dev_loss"], errors="coerce")
    train = pd.to_numeric(rows["train_loss"], errors="coerce")
    ok = dev.map(math.isfinite) & train.map(math.isfinite)
    rows, dev, train = rows[ok], dev[ok], train[ok]
    if len(rows) < 3:
        return None
    at = dev.idxmin()
    position = list(dev.index).index(at)
    if position >= len(rows) - 2:  # the minimum at (or next to) the last epoch: still improving
        return None
    dev_min, dev_last = float(dev.loc[at]), float(dev.iloc[-1])
    train_at, train_last = float(train.loc[at]), float(train.iloc[-1])
    if dev_last < dev_min * (1 + TURN) or train_last >= train_at:
        return None
    return int(rows.loc[at, S.EPOCH]), dev_min, int(rows[S.EPOCH].iloc[-1]), dev_last, train_at, train_last
