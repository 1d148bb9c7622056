"""A real sweep with `tracking: [mlflow, tensorboard]`: the stores match trials.csv and history.csv."""

from __future__ import annotations

import pytest

from search_spaces import load_spec
from sweep import RunOptions, run_sweep
from sweep.store import schema as S
from tests.conftest import tiny_spec
from tests.tracking.test_tracking import read_scalars

pytest.importorskip("mlflow", reason="the track extra (mlflow) is not installed")
pytestmark = [pytest.mark.ray, pytest.mark.slow]


def test_a_tracked_sweep_leaves_one_run_and_one_event_file_per_trial(tmp_path, ray_instance):
    from mlflow.tracking import MlflowClient

    spec = load_spec(tiny_spec(samples=6, tracking=["mlflow", "tensorboard"]))
    result = run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True, dashboard=False))
    trials = result.trials.set_index(S.PLAN_ID)

    client = MlflowClient(tracking_uri=f"sqlite:///{result.path.resolve()}/mlruns/mlflow.db")
    experiment = client.get_experiment_by_name(spec.name)
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    parent = runs.pop(result.path.name)
    assert set(runs) == set(trials.index)  # as many runs as trials
    for plan_id, run in runs.items():
        row = trials.loc[plan_id]
        for name in result.param_names:  # params equal trials.csv's values
            assert float(run.data.params[name]) == pytest.approx(float(row[name]))
        steps = [m.step for m in client.get_metric_history(run.info.run_id, "dev_accuracy")]
        assert steps == list(range(1, int(row[S.EPOCHS]) + 1))  # one step per epoch trained
        assert run.data.tags["status"] == row[S.STATUS] and run.data.tags["round"] == str(row[S.ROUND])
        scalars = read_scalars(result.path / "tensorboard" / plan_id)
        assert [step for step, _ in scalars["ray/tune/dev_accuracy"]] == steps
    test = result.state["summary"]["test"]
    assert parent.data.metrics["test_accuracy"] == pytest.approx(test["test_accuracy"])
