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


Row = tuple[float, float, str]  # a trial's (best metric, epochs trained, status); NaN where unknown


def comparable_rung(epochs: Iterable[float]) -> float:
    """The most epochs that at least `ENOUGH` trials (all of them, when fewer) trained.

    Example:
        >>> comparable_rung([30, 6, 6, 6, 2, 2]), comparable_rung([4, 2])
        (6.0, 2.0)
    """
    counts = sorted((float(e) for e in epochs if e == e), reverse=True)
    return counts[min(ENOUGH, len(counts)) - 1] if counts else 0.0


def rank_order(rows: list[Row], mode: str) -> list[int]:
    """The positions of `rows` best first: the one ranking (see the module docstring), on plain values so the
    searcher can rank its outcomes at every proposal without building a table."""
    sign = 1.0 if mode == "min" else -1.0

    ok = [i for i, (_, _, status) in enumerate(rows) if status != S.ERRORED]
    scored = [i for i in ok if math.isfinite(rows[i][0])]
    rung = comparable_rung(rows[i][1] for i in scored)

    def epochs(i: int) -> float:
        return rows[i][1] if rows[i][1] == rows[i][1] else 0.0

    def pruned(i: int) -> int:
        return int(rows[i][2] == S.PRUNED)

    above = sorted((i for i in scored if epochs(i) >= rung), key=lambda i: (sign * rows[i][0], -epochs(i), pruned(i)))
    # below the rung, more evidence first: a trial pruned later beat more competition than one pruned early
    below = sorted((i for i in scored if epochs(i) < rung), key=lambda i: (-epochs(i), sign * rows[i][0], pruned(i)))
    unscored = [i for i in ok if not math.isfinite(rows[i][0])]
    return above + below + unscored + [i for i, (_, _, status) in enumerate(rows) if status == S.ERRORED]


def rank_trials(trials: pd.DataFrame, mode: str) -> pd.DataFrame:
    """`trials` best first (see the module docstring); a new index from 0."""
    if trials.empty or S.BEST not in trials:
        return trials.reset_index(drop=True)
    nan = pd.Series(float("nan"), index=trials.index)
    best = pd.to_numeric(trials[S.BEST], errors="coerce").astype(float)
    epochs = pd.to_numeric(trials[S.EPOCHS], errors="coerce").astype(float) if S.EPOCHS in trials else nan.fillna(0)
    status = trials[S.STATUS].astype(str) if S.STATUS in trials else pd.Series("", index=trials.index)
    rows = list(zip(best.tolist(), epochs.tolist(), status.tolist(), strict=True))
    return trials.iloc[rank_order(rows, mode)].reset_index(drop=True)


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
