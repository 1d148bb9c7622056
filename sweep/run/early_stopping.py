"""Opt-in early stopping (`early_stopping: {patience: N}`): Ray's own :class:`~ray.tune.stopper.Stopper`, per trial.

A trial stops once its metric (the sweep's, in its mode) has not improved for `patience` epochs in a row. The
course's caveat holds: early stopping is not orthogonal. It cuts variance by stopping the optimisation of
the cost, so one knob now moves both "fit the training set" and "do not overfit"; reach first for L2,
dropout and more data, which leave the optimisation alone (the advisor's early-stopping line says which
trials overfit).
"""

from __future__ import annotations

import math
from typing import Any

from ray.tune.stopper import Stopper

from sweep.store.ledger import epochs_of, reading
from sweep.store.ranking import is_better


class PatienceStopper(Stopper):
    """Stops a trial whose `metric` has not improved for `patience` epochs.

    Reads every epoch a batched report carries (``epochs_batch``), so batching does not delay it.

    Example:
        >>> stopper = PatienceStopper("dev_loss", "min", patience=2)
        >>> [stopper("t", {"epoch": e, "dev_loss": v}) for e, v in enumerate([0.5, 0.4, 0.45, 0.41], 1)]
        [False, False, False, True]
    """

    def __init__(self, metric: str, mode: str, patience: int) -> None:
        self.metric, self.mode, self.patience = metric, mode, patience
        self._best: dict[str, float] = {}
        self._since: dict[str, int] = {}

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        for epoch in epochs_of(result, self.metric):
            value = reading(epoch, self.metric)
            if value is None or not math.isfinite(value):
                continue
            if is_better(value, self._best.get(trial_id), self.mode):
                self._best[trial_id], self._since[trial_id] = value, 0
            else:
                self._since[trial_id] = self._since.get(trial_id, 0) + 1
        return self._since.get(trial_id, 0) >= self.patience

    def stop_all(self) -> bool:
        return False
