"""Ray's ``MLflowLoggerCallback``, extended: one step per epoch, our tags, a parent run per sweep.

Imports mlflow (the ``track`` extra); :func:`sweep.tracking.tracking_callbacks` checks it is there first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ray.air.integrations.mlflow import MLflowLoggerCallback

from sweep.store.ledger import Ledger, epochs_of
from sweep.tracking import (
    ROLE_TAG,
    ROOT_TAG,
    TrackingContext,
    epoch_rows,
    local_store_uri,
    now_ms,
    plan_id_of,
    tags_for,
    trial_params,
    trial_status,
)
from sweep.tracking.mlflow_calls import bounded_calls, forget_warning, reason, warn_stopped

PARENT_RUN_ID = "mlflow.parentRunId"  # MLflow's own tag: the UI nests runs under their parent


class MLflowEpochCallback(MLflowLoggerCallback):
    """Logs each trial as an MLflow run: params at its start, one step per epoch, its status at its end.

    Ray's callback logs ``trial.config`` and one step per report; here params leave out our bookkeeping
    (``plan_id``), a batched report becomes one step per epoch (step = the epoch), metrics go in one
    ``log_batch`` call per epoch, and a resumed sweep finds its runs again instead of starting new ones.

    Args:
        context: the sweep (see :class:`sweep.tracking.TrackingContext`).
        tracking_uri: the MLflow tracking URI; None: the sweep's local store (``DIR/mlruns``).
    """

    def __init__(self, context: TrackingContext, tracking_uri: str | None = None) -> None:
        self.context = context
        self.local = tracking_uri is None
        self.store_uri = tracking_uri or local_store_uri(context.sweep_root)
        super().__init__(
            tracking_uri=self.store_uri,
            experiment_name=context.experiment,
            tags={ROOT_TAG: context.sweep_root},
        )
        self._client: Any = None
        self.parent_run_id: str | None = None
        self._ledger = Ledger(context.metric, context.mode)
        self.stopped: str | None = None  # why MLflow stopped taking this run's logs (None: it takes them)

    def __getstate__(self) -> dict[str, Any]:  # a Tuner pickles its callbacks; the client reconnects lazily
        state = dict(self.__dict__)
        state["_client"] = None
        return state

    # --- every MLflow call: bounded, and a store that stops answering ends tracking, not the sweep -----------
    def setup(self, *args: Any, **kwargs: Any) -> None:
        self.stopped = None  # a new run of the sweep (a resume) tries the store again, and warns again
        forget_warning(self.store_uri, self.context.sweep_root)
        self._guarded(self._setup, *args, **kwargs)

    def log_trial_start(self, trial: Any) -> None:
        self._guarded(self._trial_start, trial)

    def log_trial_result(self, iteration: int, trial: Any, result: dict) -> None:
        self._guarded(self._trial_result, iteration, trial, result)

    def log_trial_end(self, trial: Any, failed: bool = False) -> None:
        self._guarded(self._trial_end, trial, failed)

    def _guarded(self, call: Any, *args: Any, **kwargs: Any) -> None:
        """`call` with MLflow's retries bounded; when MLflow fails, one warning line and no more tracking this
        run (the sweep's own tables hold every result: a tracking server that went down must not stop it)."""
        if self.stopped is not None:
            return
        from mlflow.exceptions import MlflowException

        try:
            with bounded_calls():
                call(*args, **kwargs)
        except MlflowException as err:
            self.stopped = reason(str(err))
            warn_stopped(self.store_uri, self.stopped, self.context.sweep_root)

    # --- setup: the experiment (artifacts inside DIR/mlruns when local) and the sweep's parent run --------
    def _setup(self, *args: Any, **kwargs: Any) -> None:
        if self.local:
            Path(self.context.sweep_root, "mlruns").mkdir(parents=True, exist_ok=True)
            client = self.client
            if client.get_experiment_by_name(self.context.experiment) is None:
                artifacts = Path(self.context.sweep_root, "mlruns", "artifacts").as_uri()
                client.create_experiment(self.context.experiment, artifact_location=artifacts)
        super().setup(*args, **kwargs)
        self.parent_run_id = parent_run(self.client, str(self.mlflow_util.experiment_id), self.context)

    @property
    def client(self) -> Any:
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    # --- Ray's LoggerCallback hooks ------------------------------------------------------------------------
    def _trial_start(self, trial: Any) -> None:
        if trial in self._trial_runs:
            return
        from mlflow.entities import Param

        plan_id = plan_id_of(trial)
        own = dict(self.tags or {})
        existing = find_runs(self.client, str(self.mlflow_util.experiment_id), {"plan_id": plan_id, **own})
        if existing:  # resumed: go on logging into the run this trial started before
            self._trial_runs[trial] = existing[0].info.run_id
            return
        tags = {**own, **tags_for(plan_id, self.context), "trial_name": str(trial)}
        if self.parent_run_id is not None:
            tags[PARENT_RUN_ID] = self.parent_run_id
        run = self.mlflow_util.start_run(tags=tags, run_name=plan_id)
        self._trial_runs[trial] = run.info.run_id
        params = [Param(key, value[:6000]) for key, value in trial_params(trial.config).items()]
        self.client.log_batch(run.info.run_id, params=params)

    def _trial_result(self, iteration: int, trial: Any, result: dict) -> None:
        from mlflow.entities import Metric

        if trial not in self._trial_runs:
            self._trial_start(trial)
        run_id = self._trial_runs[trial]
        epochs = epochs_of(result, self.context.metric)
        self._ledger.record(plan_id_of(trial), epochs)
        stamp = now_ms()
        for row in epoch_rows(epochs):
            step = int(row.get("epoch", iteration))
            metrics = [Metric(key, value, stamp, step) for key, value in row.items() if key != "epoch"]
            if metrics:
                self.client.log_batch(run_id, metrics=metrics)

    def _trial_end(self, trial: Any, failed: bool = False) -> None:
        if trial not in self._trial_runs:
            self._trial_start(trial)
        status = trial_status(self._ledger.get(plan_id_of(trial)), trial, self.context, failed)
        self.client.set_tag(self._trial_runs[trial], "status", status)
        super().log_trial_end(trial, failed=failed)


def parent_run(client: Any, experiment_id: str, context: TrackingContext) -> str:
    """The sweep's parent run: found by its tags (a resumed sweep), else started."""
    tags = {ROLE_TAG: "sweep", ROOT_TAG: context.sweep_root}
    existing = find_runs(client, experiment_id, tags)
    if existing:
        return str(existing[0].info.run_id)
    from mlflow.entities import Param

    run = client.create_run(experiment_id, run_name=Path(context.sweep_root).name, tags=tags)

    params = {"metric": context.metric, "mode": context.mode, "sweep_dir": context.sweep_root}
    client.log_batch(run.info.run_id, params=[Param(k, str(v)) for k, v in params.items()])
    return str(run.info.run_id)


def find_runs(client: Any, experiment_ids: str | list[str], tags: Mapping[str, str]) -> list[Any]:
    ids = [experiment_ids] if isinstance(experiment_ids, str) else experiment_ids
    quoted = {key: str(value).replace("'", "\\'") for key, value in tags.items()}
    query = " and ".join(f"tags.`{key}` = '{value}'" for key, value in quoted.items())
    return list(client.search_runs(ids, filter_string=query, max_results=1))
