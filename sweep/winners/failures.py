"""A sweep without a winner: every trial ended badly. The summary says how (counts by cause), which failure came
first, and where the logs are; the sweep ends `failed` with one error line, never with a winner of NaN.

A trial counts as a result when it ended `completed`, `pruned`, `stopped` (time budget) or `timeout` with a
finite reading of the sweep's metric. An `error`, a `diverged` trial, or one that ended before its first
report is not one.

Example:
    >>> import pandas as pd
    >>> from sweep.store.results import SweepResult
    >>> trials = pd.DataFrame({"plan_id": ["r1-000", "r1-001"], "status": ["error", "error"],
    ...                        "best_metric": [float("nan")] * 2, "finished_at": [2.0, 1.0],
    ...                        "error": ["ValueError: bad", "ValueError: worse"]})
    >>> report = failure_report(SweepResult(Path("/s/demo"), trials, pd.DataFrame(), {"metric": "dev_accuracy"}))
    >>> report.reason
    'all 2 trials failed: 2 error (ValueError)'
    >>> report.first
    'r1-001: ValueError: worse'
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sweep.run.trial_death import cause_kind, plain
from sweep.store import schema as S
from sweep.store.layout import RAY_TUNE_LOG, TRIAL_ERRORS_FILE
from sweep_errors import SweepError

RESULT_STATUSES = (S.COMPLETED, S.PRUNED, S.STOPPED, S.TIMEOUT)


class TrialsFailed(SweepError):
    """Every trial of the sweep ended badly; `result` holds its tables (the failures are in its rows)."""

    exit_code = 1  # the run failed; the command line was fine

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


def is_result(row: pd.Series | dict) -> bool:
    """Whether a trial row is a usable result: a good status and a finite metric."""
    value = pd.to_numeric(pd.Series([row.get(S.BEST)]), errors="coerce").iloc[0]
    return row.get(S.STATUS) in RESULT_STATUSES and not math.isnan(value) and math.isfinite(value)


def winner(result: Any) -> pd.Series | None:
    """The sweep's best trial when it is a usable result (the ranking's own first choice), else None."""
    if result.trials.empty:
        return None
    return next((row for _, row in result.ranked().iterrows() if is_result(row)), None)


@dataclass(frozen=True)
class FailureReport:
    """Why a sweep has no winner."""

    reason: str  # `all 4 trials failed: 3 error (reported no dev_accuracy), 1 timeout`
    first: str  # the first failure in full: `r1-000: <its cause>` ("" when no trial has a row)
    causes: dict[str, int]  # `status (kind)` → how many
    logs: list[str]  # the files that hold the details

    def text(self) -> str:
        """The summary the sweep prints at its end (the first failure follows as the error line)."""
        return "\n".join([self.reason, f"logs: {'; '.join(self.logs)}"])

    def error_line(self) -> str:
        """The one line the command ends with."""
        first = f"; the first: {self.first}" if self.first else ""
        return f"{self.reason}{first} (details in {self.logs[0]})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def failure_report(result: Any, not_started: int = 0) -> FailureReport | None:
    """Why the sweep has no winner, or None when it has one (`not_started`: planned trials the sweep's end left
    unstarted, as sweep.json records them)."""
    if winner(result) is not None:
        return None
    root = Path(result.path)
    logs = [str(root / name) for name in (TRIAL_ERRORS_FILE, RAY_TUNE_LOG) if (root / name).exists()]
    logs = logs or [str(root / TRIAL_ERRORS_FILE)]
    trials = result.trials
    if trials.empty:
        budget = " before the time budget ran out" if result.state.get("budget_spent") else ""
        reason = f"no trial reported {result.metric}{budget}"
        reason += f" ({not_started} planned were not started)" if not_started else ""
        return FailureReport(reason, "", {}, logs)
    if S.FINISHED in trials:
        trials = trials.assign(_order=pd.to_numeric(trials[S.FINISHED], errors="coerce")).sort_values(
            "_order", kind="stable", na_position="last"
        )
    causes = Counter(_count_key(row, result.metric) for _, row in trials.iterrows())
    counts = ", ".join(f"{count} {key}" for key, count in causes.most_common())  # ties keep their first-seen order
    total = len(trials)
    verb = "failed" if set(trials[S.STATUS]) <= {S.ERRORED} else "ended without a result"
    reason = f"all {total} trial{'s' if total != 1 else ''} {verb}: {counts}"
    first = trials.iloc[0]
    return FailureReport(reason, f"{first[S.PLAN_ID]}: {row_cause(first, result.metric)}", dict(causes), logs)


def row_cause(row: pd.Series, metric: str) -> str:
    """One line saying why this trial is not a result."""
    status = str(row.get(S.STATUS))
    error = row.get(S.ERROR)
    if isinstance(error, str) and error.strip():
        return plain(error)
    if status == S.DIVERGED:
        return f"diverged: {metric} became NaN or infinite"
    if status == S.TIMEOUT:
        return f"over the trial time limit before it reported {metric}"
    if status == S.STOPPED:
        return f"stopped by the time budget before it reported {metric}"
    return f"ended without reporting a number for {metric}"


def _count_key(row: pd.Series, metric: str) -> str:
    status = str(row.get(S.STATUS))
    if status == S.ERRORED:
        return f"{status} ({cause_kind(row_cause(row, metric))})"
    return status
