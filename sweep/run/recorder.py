"""A Ray Tune callback that writes trials.csv and history.csv as results arrive, and drives the progress line.

A trial's row is computed from the sweep's trial ledger (:mod:`sweep.store.ledger`), fed from the history this
callback writes, not from Ray's Trial object: after a driver is killed, Ray restores trials from an experiment
snapshot that can be older than the last results (a trial restored from its final checkpoint reports nothing
new), while history.csv has every epoch. The ledger is kept in memory and rebuilt from history.csv and
trials.csv once after a restart, so `Tuner.restore` can unpickle this callback and go on.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ray.tune import Callback

from sweep import events as E
from sweep.run.trial_death import EXIT_NOTE, death_cause
from sweep.run.trial_guard import TRACEBACK_KEY, error_of, timed_out
from sweep.store import schema as S
from sweep.store.csv_appender import CsvAppender
from sweep.store.layout import SweepDir
from sweep.store.ledger import Ledger, epochs_of, final_status, rung_reached, target_epochs
from sweep.store.plan_ids import round_of
from sweep.store.ranking import best_of


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
        self._progress: E.ProgressUpdated | None = None
        self._ledger: Ledger | None = None
        self._appenders: dict[Path, CsvAppender] = {}
        self._newest_round = 0  # the progress line names the newest round that has reported

    # The appenders and progress line are rebuilt lazily, so a pickled recorder (Tuner.restore) works.
    def __getstate__(self) -> dict[str, Any]:
        return {"info": self.info}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["info"])  # type: ignore[misc]

    @property
    def progress(self) -> E.ProgressUpdated:
        """The progress counts; after a resume they count the trials already recorded (`4/8 done`, not `0/8`)."""
        if self._progress is None:
            info = self.info
            first = getattr(info, "first_round", 1)  # a recorder pickled before this field
            mine = [r for plan, r in self.ledger().trials.items() if r.status is not None and round_of(plan) >= first]
            self._progress = E.ProgressUpdated(
                "sweep", info.planned, info.metric, info.started_at, deadline=info.deadline, finished=len(mine),
                pruned=sum(r.status == S.PRUNED for r in mine),
                failed=sum(r.status in (S.ERRORED, S.DIVERGED) for r in mine),
                best=best_of([r.best for r in mine if r.status != S.DIVERGED], info.mode),
            )  # fmt: skip
        return self._progress

    def _appender(self, path: Path, leading: list[str]) -> CsvAppender:
        return self._appenders.setdefault(path, CsvAppender(path, leading))

    def ledger(self) -> Ledger:
        """The sweep's trial ledger, rebuilt from history.csv and trials.csv the first time (after a restart)."""
        if self._ledger is None:
            self._ledger = Ledger.read(self.directory, self.info.metric, self.info.mode)
        return self._ledger

    # --- Ray Tune hooks ---------------------------------------------------------------------------------
    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
        if error_of(result) or timed_out(result):  # the guard's last report: recorded when the trial ends
            return
        ledger = self.ledger()  # rebuilt from the files before appending to them
        wall = round(time.time() - self.info.started_at, 3)
        # A batched report carries every epoch since the previous one; each becomes its own history row.
        plan = trial.config.get("plan_id")
        rows = []
        for metrics in epochs_of(result, self.info.metric):
            row = {
                S.PLAN_ID: plan,
                S.TRIAL_ID: trial.trial_id,
                S.ROUND: round_of(plan),
                S.EPOCH: metrics.get(S.EPOCH),
                S.WALL: wall,
                S.NODE_IP: result.get("node_ip"),
            }
            row.update((k, v) for k, v in metrics.items() if k not in S.RAY_BOOKKEEPING and k not in row and _scalar(v))
            rows.append(row)
        record = ledger.record(str(plan), rows)
        self._appender(self.directory.history_csv, S.HISTORY_KEYS).append(rows)
        self._newest_round = max(round_of(plan), self._newest_round)  # a straggler does not flip it back
        best = best_of([self.progress.best, record.best], self.info.mode)
        self._progress = replace(self.progress, best=best, label=f"round {self._newest_round}")
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
        text = error_text(trial)
        self._failed(trial, death_cause(text, _exit_note(trial)), text)
        self._refresh(trials)

    def _failed(self, trial: Any, message: str, trace: str) -> None:
        """The traceback in DIR/trial-errors.log, the message in the trial's row (and its TrialEnded event)."""
        plan = trial.config.get("plan_id")
        config = {k: v for k, v in trial.config.items() if k != "plan_id"}
        # The row and the terminal get one line, the log the traceback (if it fails, the row still has the message).
        with contextlib.suppress(OSError), self.directory.trial_errors_log.open("a") as handle:
            handle.write(f"--- trial {plan} ({trial.trial_id}), config {config}\n{trace.rstrip()}\n")
        self._finish(trial, error=message)

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        # Ray ends the trials its stopper stops without a completion call: when the time budget ran out, each
        # trial that trained but has no row gets one (`stopped`). After Ctrl-C they get none: resume goes on.
        if self._budget_spent():
            ledger = self.ledger()
            for trial in trials:
                plan = str(trial.config.get("plan_id"))
                if plan in ledger.trials and ledger.trials[plan].status is None:  # trained, has no row yet
                    self._finish(trial, error=None)
        self._refresh(trials, force=True)

    # --- rows ---------------------------------------------------------------------------------------------
    def _finish(self, trial: Any, error: str | None) -> None:
        row = self.trial_row(trial, error)
        self._appender(self.directory.trials_csv, S.TRIAL_COLUMNS).append([row])
        status, counts = row[S.STATUS], self.progress
        self._progress = replace(counts, finished=counts.finished + 1, pruned=counts.pruned + (status == S.PRUNED),
                                 failed=counts.failed + (status in (S.ERRORED, S.DIVERGED)))  # fmt: skip
        config = {k: v for k, v in trial.config.items() if k != "plan_id"}
        best = row[S.BEST] if isinstance(row[S.BEST], int | float) else None
        ended = E.TrialEnded(str(row[S.PLAN_ID]), str(trial.trial_id), int(row[S.ROUND]), str(status),
                             int(row[S.EPOCHS]), best, error, config)  # fmt: skip
        E.emit(self.info.observer, ended)

    def trial_row(self, trial: Any, error: str | None) -> dict[str, Any]:
        """The trial's row, its status decided by :func:`~sweep.store.ledger.final_status`; the ledger
        records the status and rung."""
        plan = trial.config.get("plan_id")
        record = self.ledger().get(str(plan))
        info, epochs, last = self.info, record.epochs, record.row
        target = target_epochs(trial.config, info.max_t)
        status = final_status(
            epochs, target, record.diverged, bool(info.milestones) or info.early_stopping,
            error=error is not None, timed_out=timed_out(trial.last_result),
            budget_spent=target is not None and epochs < target and self._budget_spent(),
        )  # fmt: skip
        rung = rung_reached(epochs, info.milestones) if info.milestones else None
        self.ledger().finish(str(plan), status, rung)
        row = {
            S.PLAN_ID: plan,
            S.TRIAL_ID: trial.trial_id,
            S.ROUND: round_of(plan),
            S.STAGE: self.info.stages.get(round_of(plan)),
            S.STATUS: status,
            S.RUNG: rung,
            S.EPOCHS: epochs,
            S.TRAIN_SECONDS: last.get(S.TRAIN_SECONDS),
            S.BEST: _worst_if_diverged(record.best, status, self.info.mode),
            S.LAST: _worst_if_diverged(record.last, status, self.info.mode),
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
        running = sum(1 for t in trials if t.status == "RUNNING")
        self._progress = replace(self.progress, running=running, final=force)
        E.emit(self.info.observer, self._progress)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _worst_if_diverged(value: Any, status: str, mode: str) -> Any:
    """A diverged trial ranks last whatever it reported before diverging."""
    if status == S.DIVERGED:
        return -math.inf if mode == "max" else math.inf
    return value


def error_text(trial: Any) -> str:
    """Ray's error file of a trial it failed ("" when there is none, or it cannot be read)."""
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
