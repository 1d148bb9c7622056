"""The dying-trial corpus (no Ray): every way a trial ends badly becomes one plain line naming the cause, a
contract breach names the fix, and a sweep whose every trial ended badly has no winner but a failure report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sweep.run.trial_death import cause_kind, death_cause
from sweep.run.trial_guard import report_problem, returned_problem, sys_exit_line
from sweep.store import schema as S
from sweep.store.results import SweepResult
from sweep.winners.failures import failure_report, winner
from tests.fuzz.dying_trials import BREACHES, DEATHS, Breach, Death


def test_the_corpus_is_big_enough() -> None:
    assert len(DEATHS) + len(BREACHES) >= 12


@pytest.mark.parametrize("death", DEATHS, ids=[d.name for d in DEATHS])
def test_each_death_is_one_plain_line_naming_its_cause(death: Death) -> None:
    line = death_cause(death.error_text, death.note)
    assert death.expect in line
    assert "\n" not in line and "\x1b" not in line and len(line) < 300


@pytest.mark.parametrize("breach", BREACHES, ids=[b.name for b in BREACHES])
def test_each_contract_breach_is_one_line_naming_the_fix(breach: Breach) -> None:
    line = (returned_problem if breach.returned else report_problem)(breach.report, "dev_accuracy")
    assert line is not None and breach.expect in line
    assert "tune.report(" in line and "\n" not in line


@pytest.mark.parametrize("report", [{"dev_accuracy": 0.5}, {"dev_accuracy": 1}, {"dev_accuracy": float("nan")}])
def test_a_number_is_within_the_contract(report: dict) -> None:
    assert report_problem(report, "dev_accuracy") is None


def test_sys_exit_names_the_code() -> None:
    assert sys_exit_line(3) == "the trainable called sys.exit(3); return from it, or raise an exception"


def _result(rows: list[dict], path: Path = Path("/s/demo")) -> SweepResult:
    return SweepResult(path, pd.DataFrame(rows), pd.DataFrame(), {"metric": "dev_accuracy", "mode": "max"})


def _row(plan: str, status: str, best: float, finished: float, error: str | None = None) -> dict:
    return {S.PLAN_ID: plan, S.STATUS: status, S.BEST: best, S.EPOCHS: 1, S.FINISHED: finished, S.ERROR: error}


def test_a_sweep_of_failures_has_no_winner_and_counts_the_causes() -> None:
    rows = [
        _row("r1-000", S.ERRORED, 0.5, 3.0, "ValueError: bad batch in r1-000"),
        _row("r1-001", S.ERRORED, float("nan"), 1.0, "reported no dev_accuracy (got: val_acc, epoch): report it"),
        _row("r1-002", S.DIVERGED, float("-inf"), 2.0),
        _row("r1-003", S.TIMEOUT, float("nan"), 4.0),
    ]
    result = _result(rows)
    report = failure_report(result)

    assert winner(result) is None and report is not None
    assert report.reason.startswith("all 4 trials ended without a result: ")
    assert report.causes == {"error (ValueError)": 1, "error (reported no dev_accuracy)": 1, "diverged": 1,
                             "timeout": 1}  # fmt: skip
    assert report.first.startswith("r1-001: reported no dev_accuracy (got: val_acc, epoch)")
    assert "over the trial time limit before it reported dev_accuracy" in str(
        failure_report(_result([rows[3]])).first  # type: ignore[union-attr]
    )


def test_one_usable_trial_is_the_winner_however_many_failed() -> None:
    rows = [_row("r1-000", S.ERRORED, 0.9, 1.0, "ValueError: x"), _row("r1-001", S.COMPLETED, 0.4, 2.0)]
    result = _result(rows)
    assert winner(result)[S.PLAN_ID] == "r1-001"  # type: ignore[index]
    assert failure_report(result) is None


def test_no_trial_at_all_is_a_failure_that_says_so() -> None:
    report = failure_report(_result([]), not_started=4)
    assert report is not None and report.reason == "no trial reported dev_accuracy (4 planned were not started)"
    assert report.error_line() == f"{report.reason} (details in {report.logs[0]})"


def test_failures_are_counted_by_kind_not_by_message() -> None:
    assert cause_kind("ValueError: bad batch in r1-003") == cause_kind("ValueError: bad batch in r1-007")
    assert cause_kind("killed for memory: the node ran low on memory and ...") == "killed for memory"
