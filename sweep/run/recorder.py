"""A Ray Tune callback that writes trials.csv and history.csv as results arrive, and drives the progress line.

A trial's row is computed from the history this callback wrote, not from Ray's Trial object: after a driver
is killed, Ray restores trials from an experiment snapshot that can be older than the last results (a trial
restored from its final checkpoint reports nothing new), while history.csv has every epoch. The per-trial
summaries are kept in memory and rebuilt from history.csv once after a restart, so `Tuner.restore` can
unpickle this callback and go on.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ray.tune import Callback

from sweep import events as E
from sweep.run.progress import Progress
from sweep.run.trial_death import EXIT_NOTE, death_cause
from sweep.run.trial_guard import TRACEBACK_KEY, error_of, timed_out
from sweep.store import schema as S
from sweep.store.csv_appender import CsvAppender
from sweep.store.layout import SweepDir
from sweep.store.plan_ids import round_of
from sweep.store.tables import read_table
from sweep.store.trial_status import final_status, is_better, rung_reached
from trainables.session import batch_epochs


@dataclass(frozen=True)
class SweepInfo:
    """What the recorder needs to know about the sweep it records (one Tuner runs all its rounds)."""

    sweep_root: str
    stages: dict[int, int | None]  # round number → the tier it tunes (staged sweeps), else None
    planned: int  # trials planned over the rounds this Tuner runs
    metric: str
    mode: str
    max_t: int
    milestones: tuple[int, ...]  # empty when the scheduler does not prune
    started_at: float  # time.time() when the sweep started
    deadline: float | None = None  # time.time() when the time budget runs out (None: no budget)
    early_stopping: bool = False  # `early_stopping:` may stop a trial short of its epochs (then `pruned`)
    first_round: int = 1  # the first round this Tuner runs: rows of it and later ones count as done
    observer: E.Observer | None = field(default=None, compare=False, repr=False)  # told trial ends and progress

    def __getstate__(self) -> dict[str, Any]:
        """Ray pickles the recorder with its Tuner: the observer (this process's, a terminal's) stays out."""
        return {k: v for k, v in self.__dict__.items() if k != "observer"}


class SweepRecorder(Callback):
    """Appends one history row per reported epoch and one trial row per finished trial."""

    def __init__(self, info: SweepInfo) -> None:
        self.info = info
        self.directory = SweepDir(Path(info.sweep_root))
        self._progress: Progress | None = None
        self._summaries: dict[str, TrialSummary] | None = None
        self._newest_round = 0  # the progress line names the newest round that has reported

    # The appenders and progress line are rebuilt lazily, so a pickled recorder (Tuner.restore) works.
    def __getstate__(self) -> dict[str, Any]:
        return {"info": self.info}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["info"])  # type: ignore[misc]

    @property
    def progress(self) -> Progress:
        if self._progress is None:
            info = self.info
            self._progress = Progress(info.planned, "sweep", info.metric, since=info.started_at, deadline=info.deadline)
            self._count_done(self._progress)
        return self._progress

    def _count_done(self, progress: Progress) -> None:
        """After a resume the line counts the trials already recorded (`4/8 done`, not `0/8`)."""
        trials = read_table(self.directory.trials_csv, key=[S.PLAN_ID])
        if trials.empty or S.ROUND not in trials or S.STATUS not in trials:
            return
        rounds = pd.to_numeric(trials[S.ROUND], errors="coerce")
        mine = trials[rounds >= getattr(self.info, "first_round", 1)]  # a recorder pickled before this field
        progress.finished = len(mine)
        progress.pruned = int((mine[S.STATUS] == S.PRUNED).sum())
        progress.failed = int(mine[S.STATUS].isin([S.ERRORED, S.DIVERGED]).sum())
        values = pd.to_numeric(mine[S.BEST], errors="coerce") if S.BEST in mine else pd.Series(dtype=float)
        for value in values[values.map(np.isfinite)]:
            if is_better(float(value), progress.best, self.info.mode):
                progress.best = float(value)

    def _appender(self, path: Path, leading: list[str]) -> CsvAppender:
        attr = f"_{path.stem}_appender"
        if getattr(self, attr, None) is None:
            setattr(self, attr, CsvAppender(path, leading))
        return getattr(self, attr)

    def summaries(self) -> dict[str, TrialSummary]:
        """Per-trial summaries of this round, rebuilt from history.csv the first time (after a restart)."""
        if self._summaries is None:
            self._summaries = {}
            history = read_table(self.directory.history_csv, key=[S.PLAN_ID, S.EPOCH])
            if not history.empty:
                history = history.sort_values(S.EPOCH, kind="stable")
                for row in history.to_dict("records"):
                    self._summary(str(row[S.PLAN_ID])).add(row, self.info.metric, self.info.mode)
        return self._summaries

    def _summary(self, plan_id: str) -> TrialSummary:
        assert self._summaries is not None
        return self._summaries.setdefault(plan_id, TrialSummary())

    # --- Ray Tune hooks ---------------------------------------------------------------------------------
    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
        if error_of(result) or timed_out(result):  # the guard's last report: recorded when the trial ends
            return
        self.summaries()  # rebuild from the file before appending to it
        wall = round(time.time() - self.info.started_at, 3)
        # A batched report carries every epoch since the previous one; each becomes its own history row.
        epochs = batch_epochs(result)
        rows = []
        plan = trial.config.get("plan_id")
        for metrics in epochs:
            row = {
                S.PLAN_ID: plan,
                S.TRIAL_ID: trial.trial_id,
                S.ROUND: round_of(plan),
                S.EPOCH: metrics.get(S.EPOCH, result.get("training_iteration")),
                S.WALL: wall,
                S.NODE_IP: result.get("node_ip"),
            }
            row.update((k, v) for k, v in metrics.items() if k not in S.RAY_BOOKKEEPING and k not in row and _scalar(v))
            rows.append(flag_divergence(row, self.info.metric))
            self._summary(str(row[S.PLAN_ID])).add(row, self.info.metric, self.info.mode)
            value = metrics.get(self.info.metric)
            if isinstance(value, int | float) and is_better(float(value), self.progress.best, self.info.mode):
                self.progress.best = float(value)
        self._appender(self.directory.history_csv, S.HISTORY_KEYS).append(rows)
        self._newest_round = max(round_of(plan), self._newest_round)  # a straggler does not flip it back
        self.progress.label = f"round {self._newest_round}"
        self._refresh(trials)

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        message = error_of(trial.last_result)
        if message is not None:
            self._failed(trial, message, str(trial.last_result.get(TRACEBACK_KEY, "")))
        else:
            self._finish(trial, error=None)
        self._refresh(trials)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        """Ray's own failure: a worker or node lost more often than the retries allow, or --fail-fast."""
        text = _error_text(trial)
        self._failed(trial, death_cause(text, _exit_note(trial)), text)
        self._refresh(trials)

    def _failed(self, trial: Any, message: str, trace: str) -> None:
        """The traceback in DIR/trial-errors.log, the message in the trial's row (and its TrialEnded event)."""
        plan = trial.config.get("plan_id")
        config = {k: v for k, v in trial.config.items() if k != "plan_id"}
        try:
            with self.directory.trial_errors_log.open("a") as handle:  # the row and the terminal get one line
                handle.write(f"--- trial {plan} ({trial.trial_id}), config {config}\n{trace.rstrip()}\n")
        except OSError:
            pass  # the row below still holds the message
        self._finish(trial, error=message)

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        # Ray ends the trials its stopper stops without a completion call: when the time budget ran out, each
        # trial that trained but has no row gets one (`stopped`). After Ctrl-C they get none: resume goes on.
        if self._budget_spent():
            recorded = self._recorded_plans()
            for trial in trials:
                plan = str(trial.config.get("plan_id"))
                if plan not in recorded and plan in self.summaries():
                    self._finish(trial, error=None)
        self._refresh(trials, force=True)

    def _recorded_plans(self) -> set[str]:
        trials = read_table(self.directory.trials_csv, key=[S.PLAN_ID])
        return set() if trials.empty else set(trials[S.PLAN_ID].astype(str))

    # --- rows ---------------------------------------------------------------------------------------------
    def _finish(self, trial: Any, error: str | None) -> None:
        row = self.trial_row(trial, error)
        self._appender(self.directory.trials_csv, S.TRIAL_COLUMNS).append([row])
        self.progress.finished += 1
        status = row[S.STATUS]
        self.progress.pruned += status == S.PRUNED
        self.progress.failed += status in (S.ERRORED, S.DIVERGED)
        config = {k: v for k, v in trial.config.items() if k != "plan_id"}
        best = row[S.BEST] if isinstance(row[S.BEST], int | float) else None
        ended = E.TrialEnded(str(row[S.PLAN_ID]), str(trial.trial_id), int(row[S.ROUND]), str(status),
                             int(row[S.EPOCHS]), best, error, config)  # fmt: skip
        E.emit(self.info.observer, ended)

    def trial_row(self, trial: Any, error: str | None) -> dict[str, Any]:
        summary = self.summaries().get(str(trial.config.get("plan_id")), TrialSummary())
        last = summary.last_row
        epochs = summary.epochs
        target = min(int(trial.config.get("epochs", self.info.max_t)), self.info.max_t)
        if error is not None:
            status = S.ERRORED
        elif timed_out(trial.last_result):
            status = S.TIMEOUT
        elif epochs < target and self._budget_spent():
            status = S.STOPPED
        else:
            diverged = _flagged(last.get(S.DIVERGED_KEY)) or summary.nonfinite
            status = final_status(epochs, target, diverged, bool(self.info.milestones) or self.info.early_stopping)
        plan = trial.config.get("plan_id")
        row = {
            S.PLAN_ID: plan,
            S.TRIAL_ID: trial.trial_id,
            S.ROUND: round_of(plan),
            S.STAGE: self.info.stages.get(round_of(plan)),
            S.STATUS: status,
            S.RUNG: rung_reached(epochs, self.info.milestones) if self.info.milestones else None,
            S.EPOCHS: epochs,
            S.TRAIN_SECONDS: last.get(S.TRAIN_SECONDS),
            S.BEST: _worst_if_diverged(summary.best, status, self.info.mode),
            S.LAST: _worst_if_diverged(last.get(self.info.metric), status, self.info.mode),
            S.NODE_IP: last.get("node_ip"),
            S.NODE_ID: last.get("node_id"),
            S.FINISHED: round(time.time() - self.info.started_at, 3),
            S.ERROR: error,
        }
        row.update((k, v) for k, v in trial.config.items() if k != "plan_id" and _scalar(v))
        return row

    def _budget_spent(self) -> bool:
        """Whether the time budget stopped the sweep (the Tuner's stopper notes it in sweep.json)."""
        try:
            return self.directory.state.read().budget_spent
        except (OSError, ValueError):
            return False

    def _refresh(self, trials: list, force: bool = False) -> None:
        self.progress.running = sum(1 for t in trials if t.status == "RUNNING")
        E.emit(self.info.observer, self.progress.event(final=force))


@dataclass
class TrialSummary:
    """What a trial's row needs from its history: epochs done, its latest row, and its best metric."""

    epochs: int = 0
    best: float | None = None
    last_row: dict[str, Any] = field(default_factory=dict)
    nonfinite: bool = False  # the metric was NaN or infinite at some epoch: the trial diverged

    def add(self, row: dict[str, Any], metric: str, mode: str) -> None:
        """Counts one history row. A NaN metric is a divergence only when the row says so (the recorder flags
        every non-finite metric it writes): read back from history.csv, an epoch that reported no metric is NaN too."""
        epoch = int(row.get(S.EPOCH) or 0)
        if epoch >= self.epochs:
            self.epochs, self.last_row = epoch, row
        value = row.get(metric)
        if (isinstance(value, float) and math.isinf(value)) or _flagged(row.get(S.DIVERGED_KEY)):
            self.nonfinite = True
        if isinstance(value, int | float) and is_better(float(value), self.best, mode):
            self.best = float(value)


def flag_divergence(row: dict[str, Any], metric: str) -> dict[str, Any]:
    """`row` with the divergence flag set when its metric is NaN or infinite. history.csv writes NaN as a blank
    cell, as it writes a metric not reported at all: the flag tells the two apart when a restart rebuilds the
    summaries from the file."""
    value = row.get(metric)
    if isinstance(value, float) and not math.isfinite(value):
        row[S.DIVERGED_KEY] = True
    return row


def _flagged(value: Any) -> bool:
    """A true flag as Ray hands it or as history.csv reads it back (a blank cell is NaN, which is truthy)."""
    return value is True or (isinstance(value, np.bool_) and bool(value)) or value in ("True", "true")


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _worst_if_diverged(value: Any, status: str, mode: str) -> Any:
    """A diverged trial ranks last whatever it reported before diverging."""
    if status == S.DIVERGED:
        return -math.inf if mode == "max" else math.inf
    return value


def _error_text(trial: Any) -> str:
    try:
        return Path(trial.error_file).read_text() if trial.error_file else ""
    except OSError:
        return ""


def _exit_note(trial: Any) -> str | None:
    """The guard's note when the trainable ended its own worker with ``os._exit`` (see sweep.run.trial_death)."""
    try:
        return (Path(str(trial.path)) / EXIT_NOTE).read_text() or None
    except (OSError, TypeError, ValueError):
        return None
