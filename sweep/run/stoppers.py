"""The stoppers of a sweep's Tuner: its time budget, a trial's time limit, early stopping, and the guards."""

from __future__ import annotations

import math
from typing import Any

from ray.tune import Callback
from ray.tune.stopper import CombinedStopper, FunctionStopper, Stopper

from search_spaces import SweepSpec
from sweep.run.budget import Budget
from sweep.run.disk_full import is_disk_full
from sweep.run.recorder import error_text
from sweep.run.trial_guard import error_of, timed_out
from sweep.store.layout import SweepDir
from sweep.store.ledger import epochs_of, reading
from sweep.store.ranking import is_better


class SweepStop(Stopper):
    """Ends the whole experiment once `fired`; it stops no single trial."""

    fired = False

    def __call__(self, trial_id: str, result: dict) -> bool:
        return False

    def stop_all(self) -> bool:
        return self.fired


class BudgetStopper(SweepStop):
    """Stops every trial when the sweep's time budget is spent (the budget is shared with the searcher and
    the recorder), and notes in the sweep's state that the budget, not an interruption, ended it."""

    def __init__(self, budget: Budget, directory: SweepDir) -> None:
        self.budget = budget
        self.directory = directory

    def stop_all(self) -> bool:
        if self.budget.exhausted and not self.fired:
            self.fired = True
            self.directory.state.update(lambda state: setattr(state, "budget_spent", True))
        return self.fired


class DiskFullStop(Callback, SweepStop):
    """A guard (see :mod:`sweep.run.disk_full`): stops the experiment once a trial died of a full disk (the next
    ones would only die the same way)."""

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.fired = self.fired or is_disk_full(error_of(trial.last_result))

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.fired = self.fired or is_disk_full(error_text(trial))


class PatienceStopper(Stopper):
    """Opt-in early stopping (`early_stopping: {patience: N}`), per trial: stops a trial once its `metric` (the
    sweep's, in its mode) has not improved for `patience` epochs in a row.

    The course's caveat holds: early stopping is not orthogonal. It cuts variance by stopping the optimisation
    of the cost, so one knob now moves both "fit the training set" and "do not overfit"; reach first for L2,
    dropout and more data, which leave the optimisation alone (the advisor's early-stopping line says which
    trials overfit). Reads every epoch a batched report carries (``epochs_batch``), so batching does not delay it.

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


def make_stopper(
    budget: Budget | None,
    directory: SweepDir,
    trial_timeout: float | None,
    spec: SweepSpec | None = None,
    guards: tuple[Any, ...] = (),
) -> Stopper | None:
    stoppers: list[Stopper] = list(guards)
    if spec is not None and spec.early_stopping is not None:
        stoppers.append(PatienceStopper(spec.metric, spec.mode, spec.early_stopping.patience))
    if budget is not None:
        stoppers.append(BudgetStopper(budget, directory))
    if trial_timeout is not None:
        # a trial whose guard reported that it trained past the spec's `trial_timeout`
        stoppers.append(FunctionStopper(lambda _trial_id, result: timed_out(result)))
    if len(stoppers) > 1:
        return CombinedStopper(*stoppers)
    return stoppers[0] if stoppers else None
