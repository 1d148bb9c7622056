"""Every way a trial dies is that trial's result, recorded once with its cause; a sweep in which every trial died
ends `failed` with a summary and one error line (exit 1), never a winner of NaN; Ray's own paragraphs about dead
workers stay out of the terminal."""

from __future__ import annotations

import resource

import pytest
import yaml

from search_spaces import load_spec
from sweep import RunOptions, run_sweep
from sweep.store import schema as S
from sweep.winners.failures import TrialsFailed
from tests.conftest import run_cli

pytestmark = [pytest.mark.ray, pytest.mark.usefixtures("ray_instance")]


def _spec(trainable: str, samples: int = 2, **space) -> dict:
    return {"name": trainable, "trainable": f"tests.toy_trainables:{trainable}", "samples": samples, "seed": 2,
            "scheduler": "fifo", "space": {"x": {"uniform": [0.1, 1]}, "epochs": 1, **space}}  # fmt: skip


_CAP_FEASIBLE = resource.getrlimit(resource.RLIMIT_AS)[1] == resource.RLIM_INFINITY or (
    resource.getrlimit(resource.RLIMIT_AS)[1] > 2**32
)


@pytest.mark.parametrize(
    ("how", "cause"),
    [
        ("raise", "RuntimeError: broken in r1-00"),
        ("sys.exit", "the trainable called sys.exit(3)"),
        ("os._exit", "the trainable called os._exit(0), which ends its worker process"),
        ("sigkill", "its worker process died without a Python error: killed by a signal (SIGKILL"),
        ("keyboard", "KeyboardInterrupt"),
        pytest.param("memory", "MemoryError", marks=pytest.mark.skipif(not _CAP_FEASIBLE, reason="no RLIMIT_AS")),
    ],
)
def test_each_way_a_trial_dies_is_recorded_once_with_its_cause(tmp_path, how, cause):
    spec = load_spec(_spec("dies", how=how, cap_mb=256))
    with pytest.raises(TrialsFailed) as failed:
        run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True, final_test=False))

    result = failed.value.result
    trials = result.trials
    assert len(trials) == 2 and trials[S.PLAN_ID].is_unique, trials  # once each, whatever Ray retried
    assert (trials[S.STATUS] == S.ERRORED).all()
    assert all(cause in error for error in trials[S.ERROR]), list(trials[S.ERROR])
    assert result.status == "failed" and result.state["summary"]["failure"]["reason"].startswith("all 2 trials failed")
    assert "best" not in result.state["summary"]
    assert "TaskCancelledError" not in "".join(trials[S.ERROR])


@pytest.mark.parametrize(
    ("trainable", "line"),
    [
        ("wrong_metric", "reported no dev_accuracy (got: epoch, val_acc)"),
        ("never_reports", "returned without reporting dev_accuracy"),
        ("returns_value", "returned a dict instead of reporting it"),
        ("string_metric", "reported dev_accuracy as text"),
    ],
)
def test_a_contract_breach_is_each_trials_error_and_the_sweep_ends_failed(tmp_path, trainable, line):
    with pytest.raises(TrialsFailed, match=r"all 2 trials failed") as failed:
        run_sweep(load_spec(_spec(trainable)), RunOptions(storage=str(tmp_path), quiet=True, final_test=False))

    trials = failed.value.result.trials
    assert len(trials) == 2 and all(line in error for error in trials[S.ERROR])
    assert line in str(failed.value)


@pytest.mark.parametrize("quiet", [False, True], ids=["loud", "quiet"])
def test_a_sweep_whose_trials_all_died_ends_with_a_summary_and_exit_1(tmp_path, ray_instance, quiet):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(_spec("dies", samples=3, how="sigkill")))
    storage = tmp_path / "sweeps"
    args = ["launch", str(spec), "--storage", str(storage), "--address", ray_instance.address, "--no-dashboard"]
    proc = run_cli(*args, *(["--quiet"] if quiet else []), cwd=tmp_path)

    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: all 3 trials failed: 3 error (its worker process died")
    assert "the first: r1-00" in errors[0] and "unexpected" not in proc.stderr
    assert "all 3 trials failed" in proc.stdout and "trial-errors.log" in proc.stdout  # the summary, then logs
    assert "nan" not in proc.stdout.lower() and "winner" not in proc.stdout
    assert "(raylet)" not in proc.stdout + proc.stderr and "\x1b[" not in proc.stdout + proc.stderr
    trial_lines = [line for line in proc.stderr.splitlines() if line.startswith("trial r1-")]
    assert len(trial_lines) == 3 and not any("job_id=" in line for line in trial_lines), trial_lines
    directory = next(storage.iterdir())
    assert "(raylet) A worker died" in (directory / "ray-tune.log").read_text()

    listed = run_cli("ls", str(storage), check=True)
    assert "failed" in listed.stdout and "completed" not in listed.stdout and "NaN" not in listed.stdout
    shown = run_cli("show", str(directory), check=True)
    assert "no winner: all 3 trials failed" in shown.stdout
    exported = run_cli("export", str(directory), "-o", str(tmp_path / "t.csv"), check=True)
    assert "wrote 3 rows" in exported.stdout
    analyzed = run_cli("analyze", str(directory), "--no-plots")
    assert analyzed.returncode == 0 and "unexpected" not in analyzed.stderr, analyzed.stderr


def test_a_trial_timeout_shorter_than_any_epoch_is_a_failure_not_the_users_config(tmp_path):
    spec = load_spec({**_spec("steady", samples=2, seconds=2.0), "trial_timeout": 0.001})
    with pytest.raises(TrialsFailed, match=r"all 2 trials ended without a result: 2 timeout") as failed:
        run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True))

    assert "over the trial time limit before it reported dev_accuracy" in str(failed.value)
    assert "config.epochs" not in str(failed.value) and failed.value.result.status == "failed"


def test_a_time_budget_spent_before_any_report_is_a_failure_with_its_reason(tmp_path):
    spec = load_spec({**_spec("steady", samples=4, seconds=10.0), "time_budget": 1})
    with pytest.raises(TrialsFailed, match=r"no trial reported dev_accuracy before the time budget ran out") as failed:
        run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True))

    result = failed.value.result
    assert result.status == "failed" and "best" not in result.state["summary"]
    assert "KeyError" not in str(failed.value)
