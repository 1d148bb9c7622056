"""The one ranking of a sweep's trials: best first, on comparable evidence.

A trial's best metric is the best single reading over the epochs it trained. Under ASHA a pruned trial trained a
few epochs, and one lucky early reading can beat what a completed trial reached: ranked on that alone, a trial
stopped at epoch 6 becomes the winner, is scored on the test split, and steers the next sweep. So trials are
ranked in two tiers: first those that trained at least the *comparable rung*, the most epochs that enough
trials (`ENOUGH`, or all of them when fewer finished) reached, by their best metric; then the rest, those with
more epochs first. Ties on the metric go to the trial that trained more epochs, then to a completed one over
a pruned one. Errored trials come last; trials without a finite metric just before them.

Single values compare by :func:`is_better` (a trial's best reading, the progress line's best, early stopping's
patience): NaN and infinite readings never win, as they rank last here.

Example:
    >>> trials = pd.DataFrame({"plan_id": ["a", "b", "c", "d"], "status": ["pruned", "completed", "completed",
    ...                        "completed"], "epochs_trained": [2, 10, 10, 10], "best_metric": [0.99, 0.9, 0.8, 0.7]})
    >>> list(rank_trials(trials, "max")["plan_id"])
    ['b', 'c', 'd', 'a']
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from sweep.store import schema as S

ENOUGH = 3  # trials that must share a rung before it is the one the ranking compares at


def comparable_rung(epochs: pd.Series) -> float:
    """The most epochs that at least `ENOUGH` trials (all of them, when fewer) trained.

    Example:
        >>> comparable_rung(pd.Series([30, 6, 6, 6, 2, 2])), comparable_rung(pd.Series([4, 2]))
        (6.0, 2.0)
    """
    counts = pd.to_numeric(epochs, errors="coerce").dropna().sort_values(ascending=False)
    if counts.empty:
        return 0.0
    return float(counts.iloc[min(ENOUGH, len(counts)) - 1])


def rank_trials(trials: pd.DataFrame, mode: str) -> pd.DataFrame:
    """`trials` best first (see the module docstring); a new index from 0."""
    if trials.empty or S.BEST not in trials:
        return trials.reset_index(drop=True)
    status = trials[S.STATUS] if S.STATUS in trials else pd.Series("", index=trials.index)
    errored = status == S.ERRORED
    ok = trials[~errored]
    metric = pd.to_numeric(ok[S.BEST], errors="coerce")
    finite = metric.notna() & ~metric.isin([float("inf"), float("-inf")])
    epochs = pd.to_numeric(ok[S.EPOCHS], errors="coerce") if S.EPOCHS in ok else pd.Series(0.0, index=ok.index)
    rung = comparable_rung(epochs[finite])
    keys = ok.assign(_metric=metric, _epochs=epochs.fillna(0), _pruned=(status[~errored] == S.PRUNED).astype(int))
    by_metric = ["_metric", "_epochs", "_pruned"], [mode == "min", False, True]
    # below the rung, more evidence first: a trial pruned later beat more competition than one pruned early
    by_evidence = ["_epochs", "_metric", "_pruned"], [False, mode == "min", True]
    above = keys[finite & (keys["_epochs"] >= rung)].sort_values(by_metric[0], ascending=by_metric[1], kind="stable")
    below = keys[finite & (keys["_epochs"] < rung)].sort_values(by_evidence[0], ascending=by_evidence[1], kind="stable")
    order = pd.concat([above, below, keys[~finite]])
    return pd.concat([ok.loc[order.index], trials[errored]]).reset_index(drop=True)


def is_better(value: float | None, than: float | None, mode: str) -> bool:
    """Whether `value` beats `than` for the sweep's mode: a finite value beats none, NaN or ±inf; a tie does not.

    Example:
        >>> is_better(0.9, 0.8, "max"), is_better(0.9, 0.8, "min"), is_better(float("nan"), None, "max")
        (True, False, False)
    """
    if value is None or not math.isfinite(value):
        return False
    if than is None or not math.isfinite(than):
        return True
    return value > than if mode == "max" else value < than


def best_of(values: Iterable[float | None], mode: str) -> float | None:
    """The best finite value for the mode (the first of ties), or None when there is none.

    Example:
        >>> best_of([0.3, None, float("nan"), 0.7, float("inf")], "max"), best_of([float("nan")], "min")
        (0.7, None)
    """
    best = None
    for value in values:
        if is_better(value, best, mode):
            best = float(value)  # type: ignore[arg-type]
    return best
