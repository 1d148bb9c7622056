"""Panda mode: train one model in this process, checkpoint every epoch, take nudges while it trains.

A run lives in ``RUNS/NAME-TIMESTAMP/``: ``config.json`` (the config it started with), ``state.pt`` (the
last completed epoch, with the config in force), ``history.csv`` (one row per epoch, ``nudged`` on epochs
where hyperparameters changed), ``nudges.csv`` (every requested change: applied or rejected, and why) and
``nudges/`` (pending requests, see :mod:`sweep.babysit.nudge`).

Ctrl-C pauses: the epoch in progress finishes and is checkpointed, then the run stops; a second Ctrl-C
abandons that epoch instead (``state.pt`` only ever holds a completed one). :func:`babysit` with an existing
run directory continues from its checkpoint with the nudged config.

Example:
    >>> run = start_run({"epochs": 3, "hidden_units": 16}, "runs", "demo")  # doctest: +SKIP
    >>> babysit(run).stopped_epoch  # doctest: +SKIP
    3
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from search_spaces.spec_rules import check_name
from sweep import events as E
from sweep.babysit import nudge as N
from sweep.store.csv_appender import CsvAppender
from sweep.store.tables import read_table, rewrite_table
from sweep.store.writable import check_writable_dir
from sweep_errors import SweepError
from trainables.session import LocalSession

NUDGE_COLUMNS = ["epoch", "key", "value", "status", "reason", "requested_at"]


class Paused(Exception):
    """Raised out of the training loop after the epoch in progress was checkpointed (Ctrl-C)."""


@dataclass
class BabysitResult:
    """How a babysit call ended: ``finished`` or ``paused`` at ``stopped_epoch`` (epochs completed)."""

    run: Path
    status: str
    stopped_epoch: int
    history: list[dict]


class BabysitSession(LocalSession):
    """A :class:`LocalSession` over a run directory: appends history.csv, polls nudge files, pauses on
    request after the checkpoint of the epoch in progress.

    Args:
        run: The run directory.
        observer: Told each epoch (:class:`~sweep.events.EpochReported`) and each nudge the loop refused
            (:class:`~sweep.events.NudgeRejected`).
    """

    def __init__(self, run: Path, observer: E.Observer | None = None) -> None:
        super().__init__(checkpoint_dir=run, on_report=lambda metrics: E.emit(observer, E.EpochReported(metrics)))
        self.run = run
        self.observer = observer
        self.pause_requested = False
        self.reporting = False  # inside report(): a second Ctrl-C must not cut a checkpoint in half
        self._history = CsvAppender(run / N.HISTORY_CSV, ["epoch"])
        self._nudges = CsvAppender(run / N.NUDGES_CSV, NUDGE_COLUMNS)
        self._pending: dict[str, tuple[Any, float]] = {}  # polled this epoch: key → (value, requested at)
        self._rejected: list[dict[str, Any]] = []

    def poll_updates(self) -> dict[str, Any]:
        self._pending = {}
        now = time.time()
        for request in N.take_requests(self.run):
            for key, value in request.items():
                self._pending[key] = (value, now)  # a later request for the same key wins
        return {key: value for key, (value, _) in self._pending.items()}

    def reject_update(self, key: str, value: Any, reason: str) -> None:
        super().reject_update(key, value, reason)
        self._rejected.append({"key": key, "value": value, "status": "rejected", "reason": reason})
        self._pending.pop(key, None)
        E.emit(self.observer, E.NudgeRejected(key, value, reason))

    def report(self, metrics: dict, state: dict | None) -> None:
        self.reporting = True
        try:
            # checkpoint first, then history: a crash in between leaves a row to re-create, never a row
            # of an epoch the checkpoint does not hold (resume() drops any such rows)
            super().report(metrics, state)
            self._history.append([metrics])
            epoch = metrics["epoch"]
            rows = [{**row, "epoch": epoch} for row in self._rejected]
            rows += [
                {"epoch": epoch, "key": key, "value": value, "status": "applied", "requested_at": at}
                for key, (value, at) in self._pending.items()
            ]
            self._nudges.append(rows)
            self._pending, self._rejected = {}, []
        finally:
            self.reporting = False
        if self.pause_requested:
            raise Paused(metrics["epoch"])


def start_run(config: Mapping[str, Any], runs: str | Path, name: str, trainable: str = "mlp") -> Path:
    """Create ``RUNS/NAME-TIMESTAMP/`` with the validated config (every epoch checkpointed); return it.

    Raises:
        ConfigError: A config value the trainable cannot use (before anything is created).

    Example:
        >>> start_run({"epochs": 5}, "runs", "digits")  # doctest: +SKIP
        PosixPath('runs/digits-20250101-120000')
    """
    from trainables.registry import builtin

    check_name(name)  # the run's directory name: no path of its own
    resolved = builtin(trainable).resolve({**config, "checkpoint_every": 1})  # pausing must never lose an epoch
    check_writable_dir(runs, "--runs", "the run")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(runs) / f"{name}-{stamp}"
    run, k = base, 1
    while run.exists():  # two runs started in the same second
        run, k = base.with_name(f"{base.name}-{k}"), k + 1
    (run / N.NUDGES_DIR).mkdir(parents=True)
    (run / N.CONFIG_FILE).write_text(json.dumps({"trainable": trainable, **resolved}, indent=2) + "\n")
    return run


def babysit(
    run: str | Path,
    *,
    epochs: int | None = None,
    on_report: Callable[[dict], None] | None = None,
    on_reject: Callable[[str, Any, str], None] | None = None,
    handle_sigint: bool = True,
    observer: E.Observer | None = None,
) -> BabysitResult:
    """Train `run` from its checkpoint (or from scratch), taking nudges, until done or paused.

    Args:
        run: A directory made by :func:`start_run`.
        epochs: A new total epoch count (to train a finished run further); None keeps the config's.
        on_report: Called with each epoch's metrics.
        on_reject: Called for each refused nudge.
        handle_sigint: Turn Ctrl-C into a pause (only possible in the main thread).
        observer: Told each epoch (:class:`~sweep.events.EpochReported`), each refused nudge
            (:class:`~sweep.events.NudgeRejected`) and a pause asked for by Ctrl-C
            (:class:`~sweep.events.PauseRequested`); nothing is printed.

    Raises:
        SweepError: Not a run directory, another process trains it, or nothing is left to train.

    Example:
        >>> babysit("runs/digits-20250101-120000", epochs=40)  # doctest: +SKIP
    """
    observer = E.guarded(observer)  # a caller's observer that raises is warned about, not fatal
    from trainables.checkpoint import load_state
    from trainables.errors import CheckpointError
    from trainables.loop import run_training
    from trainables.registry import builtin

    run = Path(run)
    config = N.read_config(run)
    record = builtin(str(config.get("trainable", "mlp")))  # a run from before the key trained the mlp
    try:
        state = load_state(run)
    except CheckpointError as err:
        raise SweepError(f"{err}: move it aside to train {run} again from its first epoch") from None
    done = int(state["epoch"]) if state else 0
    if state is not None:
        config = {**config, **state["config"]}  # the config in force: nudges included
    if epochs is not None:
        config["epochs"] = epochs
    if done >= int(config["epochs"]):
        raise SweepError(
            f"{run}: already trained {done} of {config['epochs']} epochs: give --epochs N (N > {done}) "
            "to train it further"
        )
    _drop_rows_after(run, done)
    N.mark_running(run)
    session = BabysitSession(run, _told(observer, on_report, on_reject))
    previous = _install_sigint(session, observer) if handle_sigint else None
    try:
        outcome = run_training(config, session, family=record.family)
        status, stopped = "finished", outcome.stopped_epoch
    except (Paused, KeyboardInterrupt):
        status = "paused"
        latest = load_state(run)
        stopped = int(latest["epoch"]) if latest else 0
    finally:
        N.mark_stopped(run)
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return BabysitResult(run, status, stopped, session.history)


def _told(
    observer: E.Observer | None,
    on_report: Callable[[dict], None] | None,
    on_reject: Callable[[str, Any, str], None] | None,
) -> E.Observer:
    """The session's one observer: the caller's own callbacks first, then `observer`."""

    def tell(event: E.Event) -> None:
        if isinstance(event, E.EpochReported) and on_report is not None:
            on_report(event.metrics)
        elif isinstance(event, E.NudgeRejected) and on_reject is not None:
            on_reject(event.key, event.value, event.reason)
        E.emit(observer, event)

    return tell


def _install_sigint(session: BabysitSession, observer: E.Observer | None = None) -> Any:
    """First Ctrl-C: pause after this epoch's checkpoint. Second: abandon the epoch now."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        if session.pause_requested and not session.reporting:
            raise KeyboardInterrupt
        if not session.pause_requested:
            E.emit(observer, E.PauseRequested())
        session.pause_requested = True

    return signal.signal(signal.SIGINT, handler)


def _drop_rows_after(run: Path, epoch: int) -> None:
    """Forget history and nudge rows of epochs the checkpoint does not hold (an abandoned epoch)."""
    for name in (N.HISTORY_CSV, N.NUDGES_CSV):
        path = run / name
        if path.exists() and path.stat().st_size:
            table = read_table(path, key=[])
            if "epoch" in table and (table["epoch"] > epoch).any():
                rewrite_table(path, table[table["epoch"] <= epoch])
