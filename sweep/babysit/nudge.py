"""The nudge protocol: how `sweep nudge` hands hyperparameter changes to a running `sweep babysit`.

A run directory (``RUNS/NAME-TIMESTAMP/``) holds ``babysit.pid`` while a babysit process trains it (its pid,
under that process's ``flock``). A
nudge is one JSON file ``nudges/<ns>-<pid>.json`` (``{"lr": 0.01, ...}``), written to a temporary name and
renamed into place, so the trainer never reads half a request. The trainer reads the pending requests in
name order (send order) at each epoch boundary and deletes them; applied and rejected changes go to
``nudges.csv`` and the ``nudged`` column of ``history.csv``.

Example:
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> _ = (run / CONFIG_FILE).write_text("{}")
    >>> mark_running(run)
    >>> path = send_nudge(run, ["lr=0.01"])
    >>> take_requests(run)
    [{'lr': 0.01}]
    >>> mark_stopped(run)
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sweep_errors import SweepError

CONFIG_FILE = "config.json"
PID_FILE = "babysit.pid"
NUDGES_DIR = "nudges"
NUDGES_CSV = "nudges.csv"
HISTORY_CSV = "history.csv"
_held: dict[Path, int] = {}  # run -> the descriptor of its babysit.pid, flocked while this process trains it


def parse_nudges(run: Path, assignments: Iterable[str]) -> dict[str, Any]:
    """Parse and validate ``key=value`` texts against the run's config; return ``{key: value}``.

    Raises:
        SweepError: A malformed assignment, a key that cannot change during training, or a bad value.
    """
    from search_spaces import parse_assignment
    from trainables.config import validate_update
    from trainables.registry import builtin

    config = read_config(run)
    record = builtin(str(config.get("trainable", "mlp")))  # a run from before the key trained the mlp
    cfg = record.resolve(config)
    updates: dict[str, Any] = {}
    for text in assignments:
        if "=" not in text:
            raise SweepError(f"nudge {text!r}: expected key=value, e.g. lr=0.01")
        key, value = parse_assignment(text)
        cfg[key] = updates[key] = validate_update(key, value, cfg, record.declaration)  # a ConfigError: a SweepError
    if not updates:
        raise SweepError("nudge: nothing to change: give key=value, e.g. sweep nudge RUN lr=0.01")
    return updates


def send_nudge(run: str | Path, assignments: Iterable[str]) -> Path:
    """Validate `assignments` and queue them for the babysit process training `run`.

    Nothing is written unless the run is live and every assignment is valid.

    Args:
        run: The run directory ``sweep babysit`` printed.
        assignments: ``key=value`` texts, e.g. ``["lr=0.01", "momentum=0.95"]``.

    Returns:
        The request file.

    Raises:
        SweepError: The run is not running, or an assignment is invalid.

    Example:
        >>> send_nudge("runs/digits-20250101-120000", ["lr=0.01"])  # doctest: +SKIP
    """
    run = Path(run)
    require_running(run)
    updates = parse_nudges(run, assignments)
    directory = run / NUDGES_DIR
    directory.mkdir(exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}"
    partial = directory / f".{name}.tmp"
    partial.write_text(json.dumps(updates))
    target = directory / f"{name}.json"
    os.replace(partial, target)  # atomic: the trainer sees the whole request or none of it
    return target


def take_requests(run: Path) -> list[dict[str, Any]]:
    """Read and delete the pending requests of `run`, oldest first (unreadable ones are skipped)."""
    directory = run / NUDGES_DIR
    if not directory.is_dir():
        return []
    requests = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = None
        path.unlink(missing_ok=True)
        if isinstance(data, dict):
            requests.append(data)
    return requests


def read_config(run: Path) -> dict[str, Any]:
    """The run's ``config.json`` (raises SweepError when `run` is not a babysit run directory)."""
    path = run / CONFIG_FILE
    if not path.is_file():
        raise SweepError(f"{run}: not a babysit run directory (no {CONFIG_FILE}): give the path babysit printed")
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise SweepError(f"{path}: damaged ({err}): the run's config cannot be read; start a new run") from None
    if not isinstance(config, dict):
        raise SweepError(f"{path}: damaged (a JSON {type(config).__name__}, not the run's config): start a new run")
    return config


def live_pid(run: Path) -> int | None:
    """The pid of the process training `run` now, else None.

    The trainer holds an advisory ``flock`` on ``babysit.pid`` while it trains (:func:`mark_running`); the kernel
    drops it when that process dies, so a pid file left by a killed trainer, whose number the system may have
    given to another process since, reads as not running.
    """
    try:
        fd = os.open(run / PID_FILE, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # held: its holder trains the run
            text = os.pread(fd, 32, 0).decode(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        except OSError:
            return None
        return None  # nobody holds it: a dead trainer's file
    finally:
        os.close(fd)  # drops the shared lock too, when it was taken


def require_running(run: Path) -> int:
    """The babysit pid of `run`, or SweepError saying why it cannot take a nudge."""
    read_config(run)
    pid = live_pid(run)
    if pid is None:
        raise SweepError(
            f"{run}: not running (paused, finished or killed): nudges reach a live run only; "
            f"continue it with sweep babysit --resume {run}"
        )
    return pid


def mark_running(run: Path) -> None:
    """Claim `run` for this process until :func:`mark_stopped` (raises SweepError when another process trains it)."""
    if run in _held:
        return
    path = run / PID_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        pid = live_pid(run)  # None or -1 when its holder is between releasing it and writing its pid
        who = f"process {pid}" if pid is not None and pid > 0 else "another process"
        raise SweepError(f"{run}: already being trained by {who}: nudge it instead, or stop that one") from None
    data = str(os.getpid()).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
    _held[run] = fd


def mark_stopped(run: Path) -> None:
    """Release `run`: nudges are refused from now on."""
    fd = _held.pop(run, None)
    if fd is not None:
        (run / PID_FILE).unlink(missing_ok=True)  # before the lock goes: no one sees a free file of ours
        os.close(fd)
