"""`sweep validate --try`: one epoch of the trainable, and its mistakes as one line each."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from search_spaces import parse_spec
from sweep.checks.try_run import check_first_report
from sweep_errors import SweepError
from tests.conftest import invoke_cli, run_cli

PROJECT = """
from pathlib import Path

from ray import tune


def wrong_metric(config):
    for epoch in range(config["epochs"]):
        tune.report({"val_mse": 1.0 / (epoch + 1), "train_mse": 0.5, "epoch": epoch + 1})


def raises(config):
    raise ValueError("shapes (8,10) and (3,) not aligned")


def never_reports(config):
    return None


def good(config):
    for epoch in range(100):  # ignores `epochs`: --try still stops it after its first report
        tune.report({"val_loss": 2.0 - epoch, "epoch": epoch + 1})


def spoils_tune_state(config):
    # a directory where Tune copies its tuner.pkl: every save of the run's own state fails from now on
    experiment = Path(tune.get_context().get_trial_dir()).parent
    if (experiment / "tuner.pkl").is_file():
        (experiment / "tuner.pkl").unlink()
    (experiment / "tuner.pkl" / "in-the-way").mkdir(parents=True, exist_ok=True)
    tune.report({"val_loss": 1.0, "epoch": 1})
"""


def _project(tmp_path: Path, function: str) -> Path:
    (tmp_path / "regress.py").write_text(textwrap.dedent(PROJECT))
    spec = tmp_path / f"{function}.yaml"
    spec.write_text(
        f"name: try-{function}\ntrainable: regress:{function}\nmetric: val_loss\nmode: min\nscheduler: fifo\n"
        "space:\n  lr: {loguniform: [0.001, 0.1], default: 0.01}\n  epochs: 50\n"
    )
    return spec


def _validate_try(ray_instance, spec: Path):
    """`sweep validate SPEC --try` from the console script, on the session's Ray."""
    return run_cli("validate", str(spec), "--try", env={**os.environ, "RAY_ADDRESS": ray_instance.address})


def test_a_first_report_whose_metric_is_not_a_number_is_refused():
    spec = parse_spec({"metric": "val_loss", "mode": "min", "trainable": "x:y", "space": {"lr": 0.1}})
    with pytest.raises(SweepError, match=r"^the trainable reported val_loss = 'low': the spec's metric must be a"):
        check_first_report(spec, {"val_loss": "low", "epoch": 1})
    check_first_report(spec, {"val_loss": 0.3, "epoch": 1})  # a number: accepted


def test_validate_without_try_runs_nothing(tmp_path):
    done = invoke_cli("validate", str(_project(tmp_path, "wrong_metric")))
    assert done.returncode == 0, done.stderr
    assert "try:" not in done.stdout  # the static pre-flight cannot know the metric names of a user trainable


def test_validate_try_trains_a_built_in_trainable_one_epoch_in_process():
    done = invoke_cli("validate", "digits-adam", "--try")
    assert done.returncode == 0, done.stderr
    last = done.stdout.splitlines()[-1]
    assert last.startswith("try: 1 epoch in ") and "reported epoch 1," in last and "dev_accuracy" in last


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (
            "wrong_metric",
            "error: the trainable reported epoch, val_mse, train_mse but not the spec's metric val_loss: report it, "
            "or set `metric:` in the spec to one of these\n",
        ),
        (
            "raises",
            "error: trainable 'regress:raises' failed in its first epoch: "
            "ValueError: shapes (8,10) and (3,) not aligned\n",
        ),
        ("never_reports", "error: trainable reported nothing for config(s) [0]: a trainable must call"),
    ],
)
def test_validate_try_names_a_user_trainables_mistake_in_one_line(ray_instance, tmp_path, function, expected):
    done = _validate_try(ray_instance, _project(tmp_path, function))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(expected)
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.ray
@pytest.mark.slow
def test_validate_try_stops_a_user_trainable_after_its_first_report(ray_instance, tmp_path):
    done = _validate_try(ray_instance, _project(tmp_path, "good"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("try: 1 epoch in ")
    assert done.stdout.splitlines()[-1].endswith("val_loss 2; reported epoch 1, val_loss 2")


@pytest.mark.ray
@pytest.mark.slow
def test_the_wrong_metric_hint_works_when_followed(ray_instance, tmp_path):
    spec = _project(tmp_path, "wrong_metric")
    done = _validate_try(ray_instance, spec)
    assert "or set `metric:` in the spec to one of these" in done.stderr
    # what the message says: set `metric:` to one the trainable reported
    spec.write_text(spec.read_text().replace("metric: val_loss", "metric: val_mse"))
    fixed = _validate_try(ray_instance, spec)
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.splitlines()[-1].startswith("try: 1 epoch in ") and "val_mse 1;" in fixed.stdout


@pytest.mark.ray
@pytest.mark.slow
def test_a_failed_save_of_the_throwaway_tune_state_is_not_printed(ray_instance, tmp_path):
    # Ray's background copy of its state can fail (it races its own atomic renames); `--try`, `train` and
    # `retest` throw that state away, so its ERROR traceback is noise on a run that succeeded
    done = _validate_try(ray_instance, _project(tmp_path, "spoils_tune_state"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].endswith("reported epoch 1, val_loss 1")
    assert done.stderr == ""
