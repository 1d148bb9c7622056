"""The trial ledger: each trial's epochs, best and last reading, divergence, status and rung, fed once per report;
and the pure decisions about a finished trial: its final status (:func:`final_status`, the one function that
decides it) and its rung.

A trainable's report carries one epoch, or (batched) every epoch since its last report JSON-encoded under
:data:`trainables.session.BATCH_KEY`; :func:`epochs_of` is the one decoder of a report. The recorder owns the
sweep's :class:`Ledger` and writes history.csv from the same rows, so :meth:`Ledger.read` gives the same ledger
back from history.csv and trials.csv after a restart. The searchers, early stopping and the tracking callbacks
read reports through the same functions.

A reading is None when an epoch reported no value of the metric and NaN when it reported NaN. history.csv
writes both as a blank cell; the divergence flag set on every non-finite metric tells them apart when read back.

Example:
    >>> ledger = Ledger("dev_accuracy", "max")
    >>> record = ledger.record("r1-000", epochs_of({"epoch": 1, "dev_accuracy": 0.5}, "dev_accuracy"))
    >>> record = ledger.record("r1-000", epochs_of({"epoch": 2, "dev_accuracy": float("nan")}, "dev_accuracy"))
    >>> record.epochs, record.best, record.last, record.diverged
    (2, 0.5, nan, True)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from sweep.store import schema as S
from sweep.store.layout import SweepDir
from sweep.store.ranking import best_of, is_better
from sweep.store.tables import read_table
from trainables.session import BATCH_KEY


def epochs_of(result: Mapping[str, Any], metric: str | None = None) -> list[dict[str, Any]]:
    """Each epoch a report carries, as its own dict with its epoch number; with `metric`, an epoch whose metric
    is NaN or infinite carries the divergence flag (:data:`sweep.store.schema.DIVERGED_KEY`). NumPy's numbers (a
    metric computed with numpy: ``np.float32``, a 0-d array) become Python's, as every reader of a row expects.

    Example:
        >>> epochs_of({"epoch": 2, BATCH_KEY: '[{"epoch": 1}, {"epoch": 2}]'}), epochs_of({"training_iteration": 3})
        ([{'epoch': 1}, {'epoch': 2}], [{'training_iteration': 3, 'epoch': 3}])
        >>> epochs_of({"acc": np.float32(0.5), "epoch": np.int64(1), "loss": np.array(np.nan)}, "loss")
        [{'acc': 0.5, 'epoch': 1, 'loss': nan, 'diverged': True}]
    """
    rows = json.loads(result[BATCH_KEY]) if BATCH_KEY in result else [dict(result)]
    for row in rows:
        for key, item in row.items():
            if isinstance(item, np.generic) or (isinstance(item, np.ndarray) and item.ndim == 0):
                row[key] = item.item()
        if S.EPOCH not in row and result.get("training_iteration") is not None:
            row[S.EPOCH] = result["training_iteration"]
        value = row.get(metric) if metric else None
        if isinstance(value, float) and not math.isfinite(value):
            row[S.DIVERGED_KEY] = True
    return rows


def reading(row: Mapping[str, Any], metric: str) -> float | None:
    """An epoch's value of the metric: a float, NaN when it was reported NaN, None when it was not reported."""
    value = row.get(metric)
    if isinstance(value, Real) and not isinstance(value, bool) and not math.isnan(value):
        return float(value)
    return math.nan if flagged(row.get(S.DIVERGED_KEY)) else None  # math.nan itself: records compare equal


def flagged(value: Any) -> bool:
    """A true flag as Ray hands it or as history.csv reads it back (a blank cell is NaN, which is truthy)."""
    return value is True or (isinstance(value, np.bool_) and bool(value)) or value in ("True", "true")


@dataclass
class TrialRecord:
    """One trial in the ledger. `status` and `rung` are None while it runs; `row` is its latest epoch as reported
    (train seconds, node), left out of comparisons."""

    epochs: int = 0
    best: float | None = None
    last: float | None = None
    diverged: bool = False
    status: str | None = None
    rung: int | None = None
    row: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def add(self, row: Mapping[str, Any], metric: str, mode: str) -> None:
        """Counts one epoch; the same epoch again (a resumed trial re-reports) replaces the latest row."""
        epoch, value = int(row.get(S.EPOCH) or 0), reading(row, metric)
        if epoch >= self.epochs:
            self.epochs, self.last, self.row = epoch, value, dict(row)
        self.diverged = self.diverged or flagged(row.get(S.DIVERGED_KEY))
        if is_better(value, self.best, mode):
            self.best = value


@dataclass
class Ledger:
    """Every trial of a sweep by its plan id (or, for a searcher, by Ray's trial id)."""

    metric: str
    mode: str
    trials: dict[str, TrialRecord] = field(default_factory=dict)

    def record(self, key: str, epochs: Iterable[Mapping[str, Any]]) -> TrialRecord:
        """Adds a report's epochs (from :func:`epochs_of`) to the trial's record, and returns it."""
        trial = self.trials.setdefault(key, TrialRecord())
        for row in epochs:
            trial.add(row, self.metric, self.mode)
        return trial

    def finish(self, key: str, status: str, rung: int | None) -> TrialRecord:
        trial = self.trials.setdefault(key, TrialRecord())
        trial.status, trial.rung = status, rung
        return trial

    def get(self, key: str) -> TrialRecord:
        return self.trials.get(key) or TrialRecord()

    @classmethod
    def read(cls, directory: SweepDir, metric: str, mode: str) -> Ledger:
        """The ledger of a sweep directory, rebuilt from history.csv and trials.csv (after a restart)."""
        ledger = cls(metric, mode)
        history = read_table(directory.history_csv, key=[S.PLAN_ID, S.EPOCH])
        if not history.empty:
            for row in history.sort_values(S.EPOCH, kind="stable").to_dict("records"):
                ledger.record(str(row[S.PLAN_ID]), [row])
        trials = read_table(directory.trials_csv, key=[S.PLAN_ID])
        for row in [] if trials.empty else trials.to_dict("records"):
            rung, epochs = row.get(S.RUNG), row.get(S.EPOCHS)
            trial = ledger.finish(str(row[S.PLAN_ID]), str(row[S.STATUS]), None if pd.isna(rung) else int(rung))
            if not trial.epochs:  # no epoch of it in history.csv (lost, or it failed first): its row stands in
                trial.epochs, trial.best = 0 if pd.isna(epochs) else int(epochs), best_of([row.get(S.BEST)], mode)
        return ledger


def rung_reached(epochs: int, milestones: Sequence[int]) -> int | None:
    """The highest milestone a trial got to, or None before the first one."""
    passed = [m for m in milestones if epochs >= m]
    return passed[-1] if passed else None


def target_epochs(config: Mapping[str, Any], max_t: int | None) -> int | None:
    """The epochs a trial set out to train: its config's `epochs`, capped by the scheduler's max_t.

    Example:
        >>> target_epochs({"epochs": 30}, 10), target_epochs({}, 10), target_epochs({"epochs": 5}, None)
        (10, 10, 5)
    """
    budget = config.get("epochs", max_t)
    if budget is None:
        return None
    return min(int(budget), max_t) if max_t else int(budget)


def final_status(
    epochs: int,
    target_epochs: int | None,
    diverged: bool,
    prunes: bool,
    *,
    error: bool = False,
    timed_out: bool = False,
    budget_spent: bool = False,
) -> str:
    """The one decision of a trial's final status, in this order: `error` when it raised or its worker died;
    `timeout` past the spec's per-trial limit; `stopped` when the sweep's time budget ended it short of its
    target; `diverged` when its metric went non-finite or the trainable said so; `pruned` when a pruning
    scheduler (or early stopping) stopped it short; else `completed`.

    Example:
        >>> final_status(3, 10, False, True), final_status(3, 10, False, True, budget_spent=True)
        ('pruned', 'stopped')
    """
    short = target_epochs is not None and epochs < target_epochs
    if error:
        return S.ERRORED
    if timed_out:
        return S.TIMEOUT
    if short and budget_spent:
        return S.STOPPED
    if diverged:
        return S.DIVERGED
    if prunes and short:
        return S.PRUNED
    return S.COMPLETED
