"""Which process drives a sweep: recorded in sweep.json, so a `running` sweep whose driver is gone reads as
`interrupted` (with the resume hint) instead of running forever; and SIGTERM handled like Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


def driver_record() -> dict[str, Any]:
    """This process, as sweep.json records its driver."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def driver_alive(driver: dict[str, Any] | None) -> bool:
    """Whether the recorded driver still runs; a driver on another host (or none recorded) is taken as alive,
    since only its own machine can tell.

    Example:
        >>> driver_alive(driver_record()), driver_alive({"pid": 2**22 + 12345, "host": socket.gethostname()})
        (True, False)
    """
    if not driver or driver.get("host") != socket.gethostname():
        return True
    try:
        os.kill(int(driver["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError):
        return True
    return True


def effective_status(state: dict[str, Any]) -> str:
    """The state's status, with a `running` sweep whose driver died shown as `interrupted`."""
    status = str(state.get("status", "unknown"))
    if status == "running" and not driver_alive(state.get("driver")):
        return "interrupted"
    return status


# The handler `term_as_interrupt` installed: `ray.init` replaces it (Ray's C++ crash handler dumps a stack and
# aborts with 134; its Python one exits 1), so `connect` puts it back. One per process, like the signal itself.
_term_handler: Any = None


def reclaim_term() -> None:
    """Puts the command's SIGTERM handler back after `ray.init` took SIGTERM over (nothing when none is active)."""
    import threading

    if _term_handler is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _term_handler)


@dataclass
class Signals:
    """The signal that interrupted the command, if any."""

    received: int | None = None


@contextmanager
def term_as_interrupt() -> Iterator[Signals]:
    """SIGTERM (a scheduler's or `kill`'s stop) behaves like Ctrl-C: Ray Tune stops the trials cleanly, the
    sweep is left `interrupted` with its resume line; the caller exits 143 instead of 130."""
    seen = Signals()

    def on_term(signum: int, frame: Any) -> None:
        seen.received = signum
        signal.raise_signal(signal.SIGINT)  # Tune's own graceful stop, or KeyboardInterrupt outside a fit

    global _term_handler
    previous = signal.signal(signal.SIGTERM, on_term)
    _term_handler = on_term
    try:
        yield seen
    finally:
        _term_handler = None
        signal.signal(signal.SIGTERM, previous)
