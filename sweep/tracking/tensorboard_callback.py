"""Ray's ``TBXLoggerCallback``, extended: one step per epoch, one event file per trial in ``DIR/tensorboard``.

Imports tensorboardX (the ``track`` extra); :func:`sweep.tracking.tracking_callbacks` checks it is there first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ray.tune.logger import TBXLoggerCallback

from sweep.tracking import TrackingContext, epoch_rows, plan_id_of


class TensorBoardEpochCallback(TBXLoggerCallback):
    """Writes each trial's epochs to ``DIR/tensorboard/<plan_id>/`` with the epoch as the global step.

    Ray's callback writes into each trial's Ray directory and logs one step per report; here a batched
    report is handed to Ray's own ``log_trial_result`` one epoch at a time (scalars under Ray's
    ``ray/tune/<metric>`` tags), and the files sit together so ``tensorboard --logdir DIR/tensorboard``
    shows every trial of the sweep. Ray writes the trial's hyperparameters (hparams) at its end.
    """

    def __init__(self, context: TrackingContext) -> None:
        super().__init__()
        self.context = context
        self.logdir = Path(context.sweep_root) / "tensorboard"

    def log_trial_start(self, trial: Any) -> None:
        if trial in self._trial_writer:
            self._trial_writer[trial].close()
        directory = self.logdir / plan_id_of(trial)
        directory.mkdir(parents=True, exist_ok=True)
        self._trial_writer[trial] = self._summary_writer_cls(str(directory), flush_secs=30)
        self._trial_result[trial] = {}

    def log_trial_result(self, iteration: int, trial: Any, result: dict) -> None:
        for row in epoch_rows(result):
            epoch = int(row.get("epoch", iteration))
            metrics = {key: value for key, value in row.items() if key != "epoch"}
            super().log_trial_result(iteration, trial, {**metrics, "training_iteration": epoch})
