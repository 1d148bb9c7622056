"""Faults inside trials as users meet them: a trainable's own exception runs once and is one line; NaN is
`diverged`; the trial's traceback lands in the sweep directory, not the terminal."""

from __future__ import annotations

import pytest

from search_spaces import load_spec
from sweep import RunOptions, run_sweep
from sweep.cli.render import trial_failed_line
from sweep.events import TrialEnded
from sweep.store import schema as S
from sweep.winners.failures import TrialsFailed

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.usefixtures("ray_instance")]


def _spec(name: str, **space) -> dict:
    return {"name": name, "trainable": f"tests.toy_trainables:{name}", "samples": 3, "seed": 2,
            "scheduler": "fifo", "space": {"x": {"uniform": [0, 1]}, "epochs": 2, **space}}  # fmt: skip


def test_a_raising_trial_runs_once_and_is_recorded_as_one_line(tmp_path):
    calls = tmp_path / "calls.txt"
    spec = load_spec(_spec("raises", calls=str(calls)))
    told: list = []
    with pytest.raises(TrialsFailed) as failed:
        run_sweep(spec, RunOptions(storage=str(tmp_path / "s"), quiet=True, final_test=False), observer=told.append)
    result = failed.value.result

    assert sorted(calls.read_text().split()) == ["r1-000", "r1-001", "r1-002"], "a trial's own bug was retried"
    trials = result.trials.set_index(S.PLAN_ID)
    assert (trials[S.STATUS] == S.ERRORED).all()
    assert trials.loc["r1-001", S.ERROR] == "ValueError: bad batch in r1-001"
    log = (result.path / "trial-errors.log").read_text()
    assert log.count("Traceback (most recent call last)") == 3 and "raise ValueError" in log
    lines = [trial_failed_line(e) for e in told if isinstance(e, TrialEnded) and e.error is not None]
    assert len(lines) == 3 and all("\n" not in line and "trial-errors.log" in line for line in lines)
    assert "trial r1-001 failed: ValueError: bad batch in r1-001 (config {" in "".join(lines)
    assert result.status == "failed" and "all 3 trials failed: 3 error (ValueError)" in str(failed.value)


def test_a_user_trainable_that_reports_nan_is_diverged_and_ranked_last(tmp_path):
    with pytest.raises(TrialsFailed, match="all 3 trials ended without a result: 3 diverged") as failed:
        run_sweep(load_spec(_spec("goes_nan")), RunOptions(storage=str(tmp_path), quiet=True, final_test=False))
    result = failed.value.result

    assert (result.trials[S.STATUS] == S.DIVERGED).all()
    assert (result.trials[S.BEST] == float("-inf")).all()


def test_a_hung_trial_is_stopped_at_its_time_limit_and_the_sweep_goes_on(tmp_path):
    # The budget only backs the test up: a time limit that does not work ends the sweep as `stopped` instead.
    spec = load_spec({**_spec("hangs"), "trial_timeout": "4s", "time_budget": "3m"})
    result = run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True, final_test=False))

    trials = result.trials
    assert len(trials) == 3 and (trials[S.STATUS] == S.TIMEOUT).all(), trials[[S.PLAN_ID, S.STATUS]]
    assert (trials[S.EPOCHS] == 1).all() and trials[S.BEST].notna().all()
    assert result.status == "completed" and not result.state.get("budget_spent")
