"""A trial's own exception is its result, not a lost worker: recorded once as `error`, never retried.

Ray's `FailureConfig(max_failures=2)` retries a trial whatever ended it, so a trainable with a bug ran three
times. The guard runs inside the worker around the trainable: an exception from the trainable's own code
becomes one last report carrying its message and traceback, and the trial ends normally. A worker or node
that dies still fails the trial in Ray's eyes, and Ray restarts it from its checkpoint. Ray stops a trial
with `SystemExit`, which the guard lets through.
"""

from __future__ import annotations

import functools
import math
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any

ERROR_KEY = "sweep_trial_error"  # the exception's one-line message
TRACEBACK_KEY = "sweep_trial_traceback"
TIMEOUT_KEY = "sweep_trial_timeout"  # the trial trained longer than the spec's trial_timeout (seconds)


def guard(
    trainable: Callable[..., None], metric: str, catch_errors: bool = True, timeout: float | None = None
) -> Callable[..., None]:
    """`trainable`, reporting its own exception as a final result instead of raising it (`catch_errors`), and
    reporting a time-out when it trains past `timeout` seconds, hung or not.

    A guard's report carries the sweep's metric as NaN: Tune insists every result has it, and ASHA's rungs and
    the searchers ignore NaN. A time-out report is sent from a watchdog thread, since the training thread may
    be stuck; the Tuner's :class:`TimeoutStopper` then stops the trial (Ray ends the actor if it cannot).
    """

    @functools.wraps(trainable)
    def guarded(config: dict, **kwargs: Any) -> None:
        from ray import tune

        watchdog = None
        if timeout is not None:
            watchdog = threading.Timer(timeout, tune.report, args=({TIMEOUT_KEY: timeout, metric: math.nan},))
            watchdog.daemon = True
            watchdog.start()
        try:
            trainable(config, **kwargs)
        except Exception as err:  # the trainable's bug or bad input: record it, do not retry it
            if not catch_errors:
                raise
            tune.report({ERROR_KEY: one_line(err), TRACEBACK_KEY: traceback.format_exc(), metric: math.nan})
        finally:
            if watchdog is not None:
                watchdog.cancel()

    return guarded


def timed_out(result: Mapping[str, Any] | None) -> bool:
    """Whether this result is the guard's time-out report."""
    return bool(result) and TIMEOUT_KEY in result  # type: ignore[operator]


def one_line(err: BaseException) -> str:
    """`Type: message`, on one line.

    Example:
        >>> one_line(ValueError("bad\\nvalue"))
        'ValueError: bad value'
    """
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def error_of(result: Mapping[str, Any] | None) -> str | None:
    """The guarded trial's error message, when this result reports one."""
    if not result:
        return None
    value = result.get(ERROR_KEY)
    return str(value) if value else None
