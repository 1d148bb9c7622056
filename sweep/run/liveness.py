"""Which process drives a sweep: recorded in sweep.json, so a `planned` or `running` sweep whose driver is gone
reads as `interrupted` (with the resume hint) instead of running forever; and SIGTERM handled like Ctrl-C, within a
deadline: `docker stop` and `timeout -k` send SIGKILL some seconds after SIGTERM, and Ray Tune waits up to 15 s
for a hung trial's worker to stop."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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
    """The state's status, with a `running` sweep whose driver died shown as `interrupted` (and a `planned` one:
    its driver died before the first round started, while Ray started)."""
    status = str(state.get("status", "unknown"))
    if status in ("planned", "running") and not driver_alive(state.get("driver")):
        return "interrupted"
    return status


# The handler `term_as_interrupt` installed: `ray.init` replaces it (Ray's C++ crash handler dumps a stack and
# aborts with 134; its Python one exits 1), so `connect` puts it back. One per process, like the signal itself.
_term_handler: Any = None


def reclaim_term() -> None:
    """Puts the command's SIGTERM handler back after `ray.init` took SIGTERM over (nothing when none is active)."""
    if _term_handler is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _term_handler)


def term_in_ray_start(stop: SystemExit) -> None:
    """Turns `ray.init`'s answer to a SIGTERM that came while it started (its handler then is `sys.exit(15)`)
    into the command's own SIGTERM stop (a KeyboardInterrupt, the deadline, exit 143); re-raises any other exit."""
    if stop.code != signal.SIGTERM or _term_handler is None:
        raise stop
    reclaim_term()
    _term_handler(signal.SIGTERM, None)  # its SIGINT raises the KeyboardInterrupt here, unless SIGINT is
    raise KeyboardInterrupt from None  # ignored or blocked (a background job's): then this line does


# Seconds a SIGTERM'd command gives Ray Tune's graceful stop before it ends itself: Tune leaves its loop and saves
# the experiment at once, then waits (5 s, then up to 10 s) for the trials' workers to stop; a hung trial's never
# does. Past this the command records the sweep as interrupted and exits 143, well inside a 5 s stop window;
# Ray ends a gone driver's workers itself.
TERM_GRACE_S = 2.5
TERMINATED_EXIT = 128 + signal.SIGTERM


class TermDeadline:
    """After SIGTERM: runs the registered last actions, then exits, unless the command ended first.

    Example:
        >>> ended = []
        >>> deadline = TermDeadline(0.01, exit=ended.append)
        >>> deadline.actions.append(lambda: ended.append("recorded"))
        >>> deadline.start(); deadline.thread.join(); ended
        ['recorded', 143]
    """

    def __init__(self, grace: float | None = None, exit: Callable[[int], Any] = os._exit) -> None:
        self.grace = TERM_GRACE_S if grace is None else grace
        self.exit = exit
        self.actions: list[Callable[[], Any]] = []
        self.ended = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="sweep-term-deadline", daemon=True)
            self.thread.start()

    def cancel(self) -> None:
        self.ended.set()

    def _run(self) -> None:
        if self.ended.wait(self.grace):
            return
        for action in list(self.actions):
            with suppress(Exception):  # the exit must come, whatever a last action does
                action()
        sys.stdout.flush()
        self.exit(TERMINATED_EXIT)


_deadline: TermDeadline | None = None  # the active command's, while `term_as_interrupt` runs


@contextmanager
def on_forced_stop(action: Callable[[], Any]) -> Iterator[None]:
    """Registers what the SIGTERM deadline does before exiting (the driver: record the sweep as interrupted)."""
    deadline = _deadline
    if deadline is not None:
        deadline.actions.append(action)
    try:
        yield
    finally:
        if deadline is not None and action in deadline.actions:
            deadline.actions.remove(action)


@dataclass
class Signals:
    """The signal that interrupted the command, if any."""

    received: int | None = None


@contextmanager
def term_as_interrupt() -> Iterator[Signals]:
    """SIGTERM (a scheduler's or `kill`'s stop) behaves like Ctrl-C: Ray Tune stops the trials cleanly, the
    sweep is left `interrupted` with its resume line; the caller exits 143 instead of 130."""
    seen = Signals()
    deadline = TermDeadline()

    def on_term(signum: int, frame: Any) -> None:
        seen.received = signum
        deadline.start()  # the stop must end within TERM_GRACE_S, however the trials behave
        signal.raise_signal(signal.SIGINT)  # Tune's own graceful stop, or KeyboardInterrupt outside a fit

    global _term_handler, _deadline
    previous = signal.signal(signal.SIGTERM, on_term)
    _term_handler, _deadline = on_term, deadline
    try:
        yield seen
    finally:
        deadline.cancel()
        _term_handler, _deadline = None, None
        signal.signal(signal.SIGTERM, previous)
