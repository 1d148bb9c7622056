"""One driver per sweep directory: `launch`, `resume` and `refine` hold DIR/driver.lock while they run.

The lock is an advisory `flock` on the file, which the kernel drops when its holder dies (SIGKILL, a crash,
a reboot), so a dead driver never leaves the sweep locked; the file's text names the holder (pid, host, since
when) for the one-line refusal. A lock file naming a live process on another host, whose sweep.json still says
`running`, is also refused: `flock` does not reach across every shared filesystem.

Example:
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with hold_driver_lock(root):
    ...     holder(root)["pid"] == os.getpid()
    True
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sweep_errors import SweepError

LOCK_FILE = "driver.lock"


class SweepLocked(SweepError):
    """Another process is driving the sweep."""


def holder(root: Path) -> dict[str, Any]:
    """What the lock file says about the process that holds (or last held) it; empty when unreadable."""
    try:
        data = json.loads((Path(root) / LOCK_FILE).read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def refusal(root: Path, record: dict[str, Any]) -> str:
    """The one-line refusal naming the driver that holds the sweep."""
    since = record.get("since")
    when = time.strftime(" since %H:%M:%S", time.localtime(since)) if isinstance(since, int | float) else ""
    who = f"pid {record.get('pid', '?')} on {record.get('host', '?')}{when}"
    return (
        f"sweep {root} is being driven by another process ({who}, `sweep {record.get('command', 'launch')}`); "
        "wait for it to end, or stop it (Ctrl-C, kill PID) and run this again"
    )


@contextlib.contextmanager
def hold_driver_lock(root: Path, command: str = "launch", status: str | None = None) -> Iterator[None]:
    """Holds the sweep's driver lock while the block runs; raises :class:`SweepLocked` if another driver does.

    Args:
        root: the sweep directory (a local one, or a URI sweep's local mirror).
        command: the command taking it, shown to a second driver.
        status: sweep.json's status now; a lock file from another host counts only while it is `running`.
    """
    path = Path(root) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise SweepError(f"{path}: cannot create the sweep's lock file ({err.strerror or err})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepLocked(refusal(Path(root), holder(Path(root)))) from None
        record = holder(Path(root))
        foreign = record.get("host") not in (None, socket.gethostname()) and record.get("pid") is not None
        if foreign and status == "running" and not record.get("released"):
            raise SweepLocked(refusal(Path(root), record) + f" (if it is gone, delete {path})")
        _write(fd, {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(), "command": command})
        try:
            yield
        finally:
            with contextlib.suppress(OSError):  # a full disk must not turn the end of a sweep into a traceback
                _write(fd, {**holder(Path(root)), "released": True})
    finally:
        os.close(fd)  # drops the flock


def driven_here(root: Path) -> bool:
    """Whether a live process on this machine holds the sweep's driver lock now (it is writing the directory).

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> with hold_driver_lock(root):
        ...     driven_here(root)
        True
        >>> driven_here(root)
        False
    """
    try:
        fd = os.open(Path(root) / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also drops the shared lock, when it was taken
    return False


def _write(fd: int, record: dict[str, Any]) -> None:
    data = json.dumps(record).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
