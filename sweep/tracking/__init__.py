"""Experiment tracking through Ray Tune's own logger callbacks: MLflow and TensorBoard, one step per epoch.

Ray's ``MLflowLoggerCallback`` and ``TBXLoggerCallback`` log one step per *report*. Our built-in trainables
batch several epochs into one report (the per-epoch rows JSON-encoded under
:data:`trainables.session.BATCH_KEY`), so the two callbacks are extended here to expand a batch into one
step per epoch, exactly as the recorder expands it into history rows. Everything else is Ray's.

- MLflow: one run per trial (named by its plan id) with the real hyperparameter values as params, every
  epoch's metrics as steps, tags ``round``, ``stage``, ``plan_id`` and, at the trial's end, ``status``
  (completed, pruned, diverged, error); all nested under one parent run for the sweep, which
  :func:`log_sweep_summary` closes with the winner's test accuracy. The default store is local:
  ``sqlite:///DIR/mlruns/mlflow.db`` (MLflow 3 keeps plain-file stores in maintenance mode), viewed with
  ``mlflow ui --backend-store-uri sqlite:///DIR/mlruns/mlflow.db``; or any tracking URI the spec gives.
- TensorBoard: one event file per trial under ``DIR/tensorboard/<plan_id>/`` (``tensorboard --logdir``).

Both need the ``track`` extra (``pip install 'sweep-tune[track]'``); a missing one is a one-line error.

Example:
    >>> from sweep.tracking import tracking_callbacks
    >>> callbacks = tracking_callbacks(["mlflow", "tensorboard"], Path("sweeps/x"), None,
    ...                                experiment="digits-momentum")  # doctest: +SKIP
    >>> tune.Tuner(..., run_config=tune.RunConfig(callbacks=[recorder, *callbacks]))  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweep.run.trial_guard import error_of, timed_out
from sweep.store import schema as S
from sweep.store.ledger import TrialRecord, epochs_of, final_status, target_epochs
from sweep.store.plan_ids import round_or_none
from sweep_errors import SweepError
from trainables.session import BATCH_KEY

INSTALL_HINT = "pip install 'sweep-tune[track]'"
PACKAGES = {"mlflow": "mlflow", "tensorboard": "tensorboardX"}  # each tracker (the spec's TRACKERS) → its package
ROLE_TAG, ROOT_TAG = "sweep.role", "sweep.root"  # tags that find a sweep's parent run again (resume, summary)
# Reported values that are not per-epoch metrics.
_NOT_METRICS = S.RAY_BOOKKEEPING | {BATCH_KEY, "node_id", "node_ip", S.PLAN_ID, S.EPOCH}


class TrackingError(SweepError):
    """A tracker cannot be used: its package is missing or it is unknown."""


@dataclass(frozen=True)
class TrackingContext:
    """What the tracking callbacks know about the sweep.

    Attributes:
        sweep_root: the sweep directory.
        experiment: the MLflow experiment (the spec's name: runs of sweeps of one spec sit together).
        metric, mode: the sweep's metric and direction (for the parent run's summary).
        max_t: the scheduler's epoch budget (None: each trial's config ``epochs``).
        prunes: whether the scheduler stops trials early (ASHA): a short trial is then ``pruned``.
        stages: round number → the tier it tunes (staged sweeps); rounds not listed have no stage.
    """

    sweep_root: str
    experiment: str
    metric: str = "dev_accuracy"
    mode: str = "max"
    max_t: int | None = None
    prunes: bool = False
    stages: Mapping[int, int | None] = field(default_factory=dict)


def require(kind: str) -> None:
    """Raise a one-line TrackingError when `kind` is unknown or its package is not installed.

    Example:
        >>> require("wandb")
        Traceback (most recent call last):
        sweep.tracking.TrackingError: tracking: unknown tracker 'wandb' (choose mlflow, tensorboard)
    """
    if kind not in PACKAGES:
        raise TrackingError(f"tracking: unknown tracker {kind!r} (choose {', '.join(PACKAGES)})")
    import importlib.util

    module = PACKAGES[kind]
    if importlib.util.find_spec(module) is None:
        raise TrackingError(f"tracking: {kind} needs the {module} package, not installed: {INSTALL_HINT}")


def local_store_uri(sweep_root: str | Path) -> str:
    """The default MLflow store of a sweep: a SQLite file in ``DIR/mlruns``.

    Example:
        >>> local_store_uri("/data/sweeps/x")
        'sqlite:////data/sweeps/x/mlruns/mlflow.db'
    """
    return f"sqlite:///{Path(sweep_root).resolve() / 'mlruns' / 'mlflow.db'}"


def tracking_callbacks(
    kinds: list[str] | tuple[str, ...],
    sweep_root: str | Path,
    tracking_uri: str | None = None,
    *,
    experiment: str,
    metric: str = "dev_accuracy",
    mode: str = "max",
    max_t: int | None = None,
    prunes: bool = False,
    stages: Mapping[int, int | None] | None = None,
) -> list[Any]:
    """Ray Tune callbacks for the spec's ``tracking:`` list (empty list: no tracking, no imports).

    Args:
        kinds: ``mlflow`` and/or ``tensorboard``.
        sweep_root: the sweep directory (the local MLflow store and the TensorBoard logs go inside).
        tracking_uri: an MLflow tracking URI; None stores locally in ``DIR/mlruns``.
        experiment: the MLflow experiment name (the spec's name).
        metric, mode, max_t, prunes, stages: see :class:`TrackingContext`.

    Raises:
        TrackingError: an unknown tracker, or its package is missing (the message names the pip command).
    """
    for kind in kinds:
        require(kind)
    context = TrackingContext(
        str(Path(sweep_root).resolve()), experiment, metric, mode, max_t, prunes, dict(stages or {})
    )
    callbacks: list[Any] = []
    if "mlflow" in kinds:
        from sweep.tracking.mlflow_callback import MLflowEpochCallback

        callbacks.append(MLflowEpochCallback(context, tracking_uri))
    if "tensorboard" in kinds:
        from sweep.tracking.tensorboard_callback import TensorBoardEpochCallback

        callbacks.append(TensorBoardEpochCallback(context))
    return callbacks


# --- pure helpers shared by both callbacks -------------------------------------------------------------
def epoch_rows(result: Mapping[str, Any] | list[dict[str, Any]]) -> list[dict[str, float]]:
    """One dict of numeric metrics per epoch a report carries (a batched report carries several), from the
    report or its epochs as :func:`sweep.store.ledger.epochs_of` decoded them.

    Example:
        >>> import json
        >>> batch = json.dumps([{"epoch": 1, "dev_accuracy": 0.5}, {"epoch": 2, "dev_accuracy": 0.6}])
        >>> epoch_rows({"epoch": 2, "dev_accuracy": 0.6, "epochs_batch": batch, "training_iteration": 1})
        [{'epoch': 1, 'dev_accuracy': 0.5}, {'epoch': 2, 'dev_accuracy': 0.6}]
    """
    rows = []
    for metrics in epochs_of(result) if isinstance(result, Mapping) else result:
        epoch = metrics.get(S.EPOCH)
        row: dict[str, float] = {S.EPOCH: int(epoch)} if epoch is not None else {}
        row.update(
            (k, float(v)) for k, v in metrics.items() if k not in _NOT_METRICS and isinstance(v, bool | int | float)
        )
        rows.append(row)
    return rows


def trial_params(config: Mapping[str, Any]) -> dict[str, str]:
    """The trial's hyperparameters as MLflow params: every config key but our bookkeeping, as text.

    Example:
        >>> trial_params({"plan_id": "r1-000", "lr": 0.01, "optimizer": "adam", "split": [0.6, 0.2, 0.2]})
        {'lr': '0.01', 'optimizer': 'adam', 'split': '[0.6, 0.2, 0.2]'}
    """
    return {key: str(value) for key, value in config.items() if key != S.PLAN_ID}


def plan_id_of(trial: Any) -> str:
    """Our plan id of a Ray trial (its trial id when the config has none, e.g. a plain Ray Tune run)."""
    return str(trial.config.get(S.PLAN_ID) or trial.trial_id)


def trial_status(record: TrialRecord, trial: Any, context: TrackingContext, failed: bool) -> str:
    """A tracked trial's status at its end, decided as the recorder decides it (:func:`final_status`)."""
    last, target = trial.last_result, target_epochs(trial.config, context.max_t)
    error = failed or error_of(last) is not None
    return final_status(record.epochs, target, record.diverged, context.prunes, error=error, timed_out=timed_out(last))


def tags_for(plan_id: str, context: TrackingContext) -> dict[str, str]:
    """A trial run's tags: round, stage (when staged) and plan id."""
    number = round_or_none(plan_id)
    tags = {"plan_id": plan_id, "round": "" if number is None else str(number)}
    stage = context.stages.get(number) if number is not None else None
    tags["stage"] = "" if stage is None else str(stage)
    return tags


def log_sweep_summary(
    sweep_root: str | Path,
    tracking_uri: str | None,
    summary: Mapping[str, Any],
    experiment: str | None = None,
) -> str | None:
    """Closes the sweep's parent MLflow run with its outcome; returns its run id (None: no parent run).

    Args:
        sweep_root: the sweep directory (the parent run is found by its tags).
        tracking_uri: as given to :func:`tracking_callbacks` (None: the local store).
        summary: ``status`` (the sweep's), ``winner`` (plan id), ``metric`` and ``best_metric`` (its best
            dev value), ``test_accuracy`` (the winner's, on the held-out split); missing keys are skipped.
        experiment: limit the search to this experiment (None: every experiment of the store).

    Example:
        >>> log_sweep_summary(result.path, None, {"status": "completed", "winner": "r2-003",
        ...                   "metric": "dev_accuracy", "best_metric": 0.98, "test_accuracy": 0.97})  # doctest: +SKIP
    """
    require("mlflow")
    from mlflow.exceptions import MlflowException

    from sweep.tracking.mlflow_calls import bounded_calls, has_stopped, reason, warn_stopped

    root = str(Path(sweep_root).resolve())
    uri = tracking_uri or local_store_uri(root)
    if has_stopped(uri, root):  # the sweep's callback met it down already (and said so)
        return None
    try:
        with bounded_calls():
            return _close_parent_run(uri, root, summary, experiment)
    except MlflowException as err:  # the sweep's own tables hold its outcome: a store that is down ends nothing
        warn_stopped(uri, reason(str(err)), root)
        return None


def _close_parent_run(uri: str, root: str, summary: Mapping[str, Any], experiment: str | None) -> str | None:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    from sweep.tracking.mlflow_callback import find_runs

    client = MlflowClient(tracking_uri=uri)
    experiments = [client.get_experiment_by_name(experiment)] if experiment else client.search_experiments()
    ids = [e.experiment_id for e in experiments if e is not None]
    runs = find_runs(client, ids, {ROLE_TAG: "sweep", ROOT_TAG: root}) if ids else []
    if not runs:
        return None
    run_id = str(runs[0].info.run_id)
    stamp = now_ms()
    values = {key: summary.get(key) for key in ("test_accuracy", "best_metric", "test_loss")}
    metrics = [
        Metric(k, float(v), stamp, 0) for k, v in values.items() if isinstance(v, int | float) and math.isfinite(v)
    ]
    client.log_batch(run_id, metrics=metrics)
    for key in ("status", "winner", "metric"):
        if summary.get(key) is not None:
            client.set_tag(run_id, key, str(summary[key]))
    failed = str(summary.get("status", "")) in ("failed", "error")
    client.set_terminated(run_id, status="FAILED" if failed else "FINISHED")
    return run_id


def now_ms() -> int:
    return int(time.time() * 1000)
