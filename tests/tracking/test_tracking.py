"""Tracking callbacks driven by hand (no sweep, no Ray cluster): Ray's own MLflow and TensorBoard callbacks,
extended to log one step per epoch from batched reports; read back with MlflowClient and the event files."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from sweep.store import schema as S
from sweep.tracking import TrackingError, epoch_rows, log_sweep_summary, require, tracking_callbacks
from trainables.session import BATCH_KEY

pytest.importorskip("mlflow", reason="the track extra (mlflow) is not installed")
pytest.importorskip("tensorboardX", reason="the track extra (tensorboardX) is not installed")


class FakeTrial:
    """What Ray's logger callbacks read from a trial."""

    def __init__(self, trial_id: str, config: dict) -> None:
        self.trial_id, self.config = trial_id, config
        self.evaluated_params = {k: v for k, v in config.items() if k != S.PLAN_ID}
        self.local_path = None
        self.last_result: dict = {}

    def __str__(self) -> str:
        return f"train_{self.trial_id}"


def epoch(n: int, dev: float) -> dict:
    return {"epoch": n, "train_loss": 1.0 / n, "train_accuracy": dev + 0.05, "dev_accuracy": dev, "diverged": False}


def report(*epochs: dict) -> dict:
    """A result as a built-in trainable reports it: the last epoch's metrics, the earlier ones batched."""
    result = {**epochs[-1], "training_iteration": 1, "node_id": "abc", "time_total_s": 1.0}
    if len(epochs) > 1:
        result[BATCH_KEY] = json.dumps([{**e, "node_id": "abc"} for e in epochs])
    return result


TRIALS = {
    # plan id: (config, reports, how it ends)
    "r1-000": ({"lr": 0.01, "momentum": 0.9, "epochs": 4}, [[1, 2, 3], [4]], "complete"),
    "r1-001": ({"lr": 0.5, "momentum": 0.99, "epochs": 4}, [[1, 2]], "complete"),  # stopped at 2: pruned
    "r2-000": ({"lr": 0.02, "momentum": 0.95, "epochs": 4}, [[1]], "error"),
}


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """One sweep's worth of trials through both callbacks; creating the MLflow store is the slow part."""
    root = tmp_path_factory.mktemp("tracking") / "digits-20261130-100000"
    root.mkdir()
    callbacks = tracking_callbacks(
        ["mlflow", "tensorboard"], root, None, experiment="digits", max_t=4, prunes=True, stages={2: 2}
    )
    for callback in callbacks:
        callback.setup()
    trials = {p: FakeTrial(f"t{i}", {S.PLAN_ID: p, **c}) for i, (p, (c, _, _)) in enumerate(TRIALS.items())}
    for plan_id, (_, reports, end) in TRIALS.items():
        trial = trials[plan_id]
        for callback in callbacks:
            callback.on_trial_start(0, list(trials.values()), trial)
            for index, epochs in enumerate(reports):
                rows = [epoch(n, 0.5 + 0.1 * n) for n in epochs]
                callback.on_trial_result(index, list(trials.values()), trial, report(*rows))
            if end == "error":
                callback.on_trial_error(0, list(trials.values()), trial)
            else:
                callback.on_trial_complete(0, list(trials.values()), trial)
    parent = log_sweep_summary(
        root,
        None,
        {
            "status": "completed",
            "winner": "r1-000",
            "metric": "dev_accuracy",
            "best_metric": 0.9,
            "test_accuracy": 0.97,
        },
    )
    return root, trials, parent


def test_mlflow_one_run_per_trial_params_epochs_and_tags(tracked):
    from mlflow.tracking import MlflowClient

    root, trials, parent = tracked
    assert (root / "mlruns" / "mlflow.db").is_file()
    client = MlflowClient(tracking_uri=f"sqlite:///{root.resolve()}/mlruns/mlflow.db")
    experiment = client.get_experiment_by_name("digits")
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {*TRIALS, root.name}  # one run per trial, plus the sweep's parent
    for plan_id, (config, reports, _) in TRIALS.items():
        run = runs[plan_id]
        assert run.data.params == {k: str(v) for k, v in config.items()}  # the real values, no plan_id
        epochs = [n for batch in reports for n in batch]
        history = client.get_metric_history(run.info.run_id, "dev_accuracy")
        assert [m.step for m in history] == epochs  # one step per epoch, batched or not
        assert [m.value for m in history] == pytest.approx([0.5 + 0.1 * n for n in epochs])
        assert run.data.tags["mlflow.parentRunId"] == parent
        assert run.data.tags["round"] == plan_id[1] and run.data.tags["plan_id"] == plan_id
    assert runs["r2-000"].data.tags["stage"] == "2" and runs["r1-000"].data.tags["stage"] == ""
    statuses = {p: runs[p].data.tags["status"] for p in TRIALS}
    assert statuses == {"r1-000": S.COMPLETED, "r1-001": S.PRUNED, "r2-000": S.ERRORED}
    assert runs["r2-000"].info.status == "FAILED" and runs["r1-000"].info.status == "FINISHED"
    assert "node_id" not in runs["r1-000"].data.metrics and BATCH_KEY not in runs["r1-000"].data.metrics


def test_mlflow_parent_run_holds_the_winners_test_accuracy(tracked):
    from mlflow.tracking import MlflowClient

    root, _, parent = tracked
    client = MlflowClient(tracking_uri=f"sqlite:///{root.resolve()}/mlruns/mlflow.db")
    run = client.get_run(parent)
    assert run.info.run_name == root.name and run.info.status == "FINISHED"
    assert run.data.metrics == {"test_accuracy": 0.97, "best_metric": 0.9}
    assert run.data.tags["winner"] == "r1-000" and run.data.params["metric"] == "dev_accuracy"


def read_scalars(directory: Path) -> dict[str, list[tuple[int, float]]]:
    """Scalars of the TensorBoard event files in `directory` (TFRecord framing, tensorboardX's protobufs)."""
    from tensorboardX.proto import event_pb2

    scalars: dict[str, list[tuple[int, float]]] = {}
    for file in sorted(directory.glob("events.out.tfevents.*")):
        data, pos = file.read_bytes(), 0
        while pos < len(data):
            (length,) = struct.unpack("<Q", data[pos : pos + 8])
            event = event_pb2.Event()
            event.ParseFromString(data[pos + 12 : pos + 12 + length])
            pos += 12 + length + 4
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    return scalars


def test_tensorboard_one_point_per_epoch_per_trial(tracked):
    root, _, _ = tracked
    assert sorted(p.name for p in (root / "tensorboard").iterdir()) == sorted(TRIALS)
    for plan_id, (_, reports, _) in TRIALS.items():
        scalars = read_scalars(root / "tensorboard" / plan_id)
        epochs = [n for batch in reports for n in batch]
        assert [step for step, _ in scalars["ray/tune/dev_accuracy"]] == epochs
        assert [v for _, v in scalars["ray/tune/dev_accuracy"]] == pytest.approx([0.5 + 0.1 * n for n in epochs])


def test_epoch_rows_expand_a_batch_and_keep_numbers_only():
    rows = epoch_rows(report(epoch(1, 0.6), epoch(2, 0.7)))
    assert [r["epoch"] for r in rows] == [1, 2] and rows[1]["dev_accuracy"] == 0.7
    assert all("node_id" not in r and "time_total_s" not in r for r in rows)
    assert epoch_rows({"dev_accuracy": 0.5, "training_iteration": 3}) == [{"epoch": 3, "dev_accuracy": 0.5}]


def test_a_missing_extra_is_one_line_naming_the_pip_command(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    message = "tracking: mlflow needs the mlflow package, not installed: pip install 'sweep-tune[track]'"
    with pytest.raises(TrackingError, match=f"^{re.escape(message)}$"):
        tracking_callbacks(["mlflow"], Path("."), None, experiment="x")
    with pytest.raises(TrackingError, match=re.escape("unknown tracker 'wandb' (choose mlflow, tensorboard)")):
        require("wandb")
    assert tracking_callbacks([], Path("."), None, experiment="x") == []
