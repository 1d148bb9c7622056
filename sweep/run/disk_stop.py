"""The Ray side of ending a sweep on a full disk (see :mod:`sweep.run.disk_full`)."""

from __future__ import annotations

from typing import Any

from ray.tune import Callback
from ray.tune.stopper import Stopper

from sweep.run.disk_full import is_disk_full
from sweep.run.recorder import error_text
from sweep.run.trial_guard import error_of


class DiskFullStop(Callback, Stopper):
    """Stops the experiment once a trial died of a full disk (the next ones would only die the same way)."""

    def __init__(self) -> None:
        self.fired = False

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.fired = self.fired or is_disk_full(error_of(trial.last_result))

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.fired = self.fired or is_disk_full(error_text(trial))

    def __call__(self, trial_id: str, result: dict) -> bool:
        return False

    def stop_all(self) -> bool:
        return self.fired
