"""Opt-in early stopping: the spec key, its one-line errors, and Ray's Stopper that carries it out."""

from __future__ import annotations

import json

import pytest

from search_spaces import SpecError, parse_spec
from sweep.run.stoppers import PatienceStopper, make_stopper
from trainables.session import BATCH_KEY


def test_the_spec_key_round_trips_and_is_off_by_default() -> None:
    spec = parse_spec({"early_stopping": {"patience": 3}})
    assert spec.early_stopping is not None and spec.early_stopping.patience == 3
    assert parse_spec(spec.to_dict()).early_stopping == spec.early_stopping
    assert parse_spec({}).early_stopping is None and "early_stopping" not in parse_spec({}).to_dict()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "early_stopping: must be a mapping {patience: N}, got 5: write e.g. early_stopping: {patience: 5}"),
        ({}, "early_stopping: needs patience (epochs without improvement): write e.g. {patience: 5}"),
        ({"patience": 0}, "early_stopping.patience"),
        ({"patience": 2, "min_delta": 0.1}, "early_stopping.min_delta: unknown key"),
    ],
)
def test_bad_values_are_one_line_errors(value, message) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec({"early_stopping": value})
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_the_stopper_counts_epochs_without_improvement_per_trial_and_reads_batches() -> None:
    stopper = PatienceStopper("dev_accuracy", "max", patience=2)
    assert not stopper("a", {"epoch": 1, "dev_accuracy": 0.5})
    assert not stopper("b", {"epoch": 1, "dev_accuracy": 0.1})
    batch = [{"epoch": 2, "dev_accuracy": 0.6}, {"epoch": 3, "dev_accuracy": 0.55}, {"epoch": 4, "dev_accuracy": 0.58}]
    assert stopper("a", {**batch[-1], BATCH_KEY: json.dumps(batch)})  # two epochs after the best of 0.6
    assert not stopper("b", {"epoch": 2, "dev_accuracy": 0.2})  # the other trial keeps its own count
    assert not stopper("b", {"epoch": 3, "dev_accuracy": float("nan")})  # a non-finite epoch is not counted


def test_the_tuner_gets_the_stopper_only_when_asked(tmp_path) -> None:
    asked = parse_spec({"early_stopping": {"patience": 4}, "metric": "dev_loss", "mode": "min"})
    stopper = make_stopper(None, None, None, asked)  # type: ignore[arg-type]
    assert isinstance(stopper, PatienceStopper) and (stopper.metric, stopper.mode, stopper.patience) == (
        "dev_loss", "min", 4
    )  # fmt: skip
    assert make_stopper(None, None, None, parse_spec({})) is None  # type: ignore[arg-type]


def test_early_stopping_reports_every_epoch() -> None:
    from sweep.run.tuner import batches_reports

    assert batches_reports(parse_spec({}))
    assert not batches_reports(parse_spec({"early_stopping": {"patience": 2}}))  # the Stopper sees each epoch


@pytest.mark.ray
@pytest.mark.slow
def test_a_real_sweep_stops_trials_whose_metric_stopped_improving(tmp_path, ray_instance) -> None:
    from search_spaces import load_spec
    from sweep import RunOptions, run_sweep
    from sweep.store import schema as S
    from tests.conftest import tiny_spec

    space = {"lr": {"loguniform": [0.3, 0.6]}, "hidden_units": 32, "epochs": 40, "threads": 1}
    spec = tiny_spec(name="patience", samples=2, scheduler="fifo", space=space, early_stopping={"patience": 2})
    result = run_sweep(load_spec(spec), RunOptions(storage=str(tmp_path), quiet=True, final_test=False,
                                                   dashboard=False))  # fmt: skip
    # dev accuracy on digits stops improving within a few epochs at these rates: no trial trains all 40
    assert set(result.trials[S.STATUS]) == {S.PRUNED}
    assert (result.trials[S.EPOCHS] < 40).all()
