"""A full disk ends a sweep `interrupted` with one line, and `sweep resume` (once there is room) trains every
planned trial exactly once.

Whatever hits the full disk first (a table, sweep.json, a plan file, Ray's experiment state, a trial's
checkpoint) ends the sweep: a trial that died of it stops the others (:class:`sweep.run.stoppers.DiskFullStop`;
this module imports no Ray), and the driver's own writes raise. To record that end on a disk with no room, the
driver keeps a small reserve file in the sweep directory and deletes it first. The sweep is then marked
``disk_full`` in sweep.json.

Ray's state written on a full disk may be cut off, and the trials that died of the full disk have error rows.
So the resume that follows starts the rest of the plan in a fresh Tuner from the tables: rows of trials that
died of the full disk are dropped (with their history), so they train again, and every other planned config
without a row trains once (:func:`requeue_after_full_disk`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sweep import events as E
from sweep.store import schema as S
from sweep.store.layout import SweepDir
from sweep.store.tables import StorageError, read_table, rewrite_table

RESERVE_FILE = ".sweep-reserve"
RESERVE_BYTES = 256 * 1024  # enough to rewrite sweep.json and the lock when the disk is full
MARK = "disk_full"  # sweep.json key: the sweep ended on a full disk
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
FULL_TEXTS = ("No space left on device", "Disk quota exceeded", "[Errno 28]", "[errno 28]")


class DiskFullError(StorageError):
    """The sweep ended on a full disk (already marked so in sweep.json)."""


def is_disk_full(problem: BaseException | str | None) -> bool:
    """Whether an exception (anywhere in its chain of causes) or an error message says the disk is full.

    Example:
        >>> is_disk_full(OSError(errno.ENOSPC, "No space left on device")), is_disk_full("ValueError: x")
        (True, False)
    """
    if isinstance(problem, str):
        return any(text in problem for text in FULL_TEXTS)
    return any(
        isinstance(seen, OSError) and seen.errno in FULL_ERRNOS or any(text in str(seen) for text in FULL_TEXTS)
        for seen in causes(problem)
    )


def causes(err: BaseException | None) -> Iterator[BaseException]:
    """`err` and its chain of causes (what it was raised from, or while handling)."""
    while err is not None:
        yield err
        err = err.__cause__ or err.__context__


def make_reserve(root: Path) -> None:
    """Sets aside a little room in the sweep directory for the sweep's end on a full disk."""
    with contextlib.suppress(OSError):  # no room even for it: the end is then written if it can be
        with open(Path(root) / RESERVE_FILE, "wb") as handle:
            handle.write(b"\0" * RESERVE_BYTES)
            handle.flush()
            os.fsync(handle.fileno())


def release_reserve(root: Path) -> None:
    with contextlib.suppress(OSError):
        (Path(root) / RESERVE_FILE).unlink(missing_ok=True)


def end_on_full_disk(directory: SweepDir) -> DiskFullError:
    """Marks the sweep interrupted on a full disk (using the reserve) and returns the one-line error to raise."""
    release_reserve(directory.root)

    def mark(state: Any) -> None:
        state.status = "interrupted"
        state.extra[MARK] = True

    with contextlib.suppress(OSError):
        directory.state.update(mark)
    with contextlib.suppress(OSError):
        directory.sync()
    return DiskFullError(
        f"the disk holding {directory.location} is full (no space left on device): the sweep is interrupted and "
        f"the rows written so far are kept; free space, then continue with: sweep resume {directory.location}"
    )


def fresh_experiment(state: Any) -> None:
    """Points a sweep's state at a new Ray experiment, so the rest of its plan runs in a new Tuner from the
    tables instead of restoring Ray's saved state (which stays under ray/ for the record)."""
    if state.experiment:
        base = state.experiment.split("-fresh-")[0]
        state.experiment = f"{base}-fresh-{time.strftime('%Y%m%d-%H%M%S')}"


def requeue_after_full_disk(directory: SweepDir, observer: E.Observer | None = None) -> bool:
    """After a sweep ended on a full disk: drops the rows of trials that died of it and points the sweep at a
    fresh Ray experiment, so the rest of the plan runs from the tables. Returns whether it did."""
    state = directory.state.read()
    trials = read_table(directory.trials_csv, key=[S.PLAN_ID])
    dead = set()
    if not trials.empty and S.ERROR in trials:
        dead = {str(p) for p, e in zip(trials[S.PLAN_ID], trials[S.ERROR], strict=True) if is_disk_full(str(e))}
    if not state.extra.get(MARK) and not dead:
        return False
    if dead:
        rewrite_table(directory.trials_csv, trials[~trials[S.PLAN_ID].astype(str).isin(dead)])
        history = read_table(directory.history_csv, key=[S.PLAN_ID, S.EPOCH])
        if not history.empty:
            rewrite_table(directory.history_csv, history[~history[S.PLAN_ID].astype(str).isin(dead)])

    def fresh(state: Any) -> None:
        state.extra.pop(MARK, None)
        fresh_experiment(state)

    directory.state.update(fresh)
    E.emit(observer, E.DiskFullRequeued(len(dead)))
    return True
