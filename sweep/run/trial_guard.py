"""A trial's own exception is its result, not a lost worker: recorded once as `error`, never retried.

Ray's `FailureConfig(max_failures=2)` retries a trial whatever ended it, so a trainable with a bug ran three
times. The guard runs inside the worker around the trainable: an exception from the trainable's own code
(a `KeyboardInterrupt` or `sys.exit()` in it too) becomes one last report carrying its message and traceback,
and the trial ends normally. A worker or node that dies still fails the trial in Ray's eyes, and Ray restarts
it from its checkpoint; when the trainable itself called ``os._exit``, the guard first leaves a note in the
trial's directory, since Ray cannot tell that exit from a SIGKILL. Ray stops a trial with `SystemExit` from
inside `tune.report`, which the guard lets through.

The guard also holds the trainable to its contract (:class:`ReportCheck`): every report carries the sweep's
metric as a number, and the trainable reports at least once. A breach is that trial's error, named in one line
(`reported no dev_accuracy (got: val_acc, epoch)`), instead of Ray's `TuneError` aborting the whole sweep.
"""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
import os
import threading
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
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
    be stuck; the Tuner's time-out stopper (sweep.run.stoppers) then stops the trial (Ray ends the actor if it
    cannot).
    """

    @functools.wraps(trainable)
    def guarded(config: dict, **kwargs: Any) -> None:
        from ray import tune

        watchdog = None
        if timeout is not None:
            watchdog = threading.Timer(timeout, tune.report, args=({TIMEOUT_KEY: timeout, metric: math.nan},))
            watchdog.daemon = True
            watchdog.start()
        check = ReportCheck(metric)
        check.install()
        restore_exit = _note_os_exit()
        try:
            returned: Any = trainable(config, **kwargs)  # type: ignore[func-returns-value]
            problem = check.after_return(returned)
            if problem is not None:
                raise ContractError(problem)
        except SystemExit as err:
            if check.stopping or not catch_errors:  # Ray's own stop of the trial, from inside tune.report
                raise
            _report_error(tune, metric, sys_exit_line(err.code))
        except (Exception, KeyboardInterrupt) as err:  # the trainable's bug or bad input: record it, no retry
            if not catch_errors:
                raise
            _report_error(tune, metric, one_line(err) if not isinstance(err, ContractError) else str(err))
        finally:
            restore_exit()
            check.uninstall()
            if watchdog is not None:
                watchdog.cancel()

    return guarded


def _report_error(tune: Any, metric: str, message: str) -> None:
    tune.report({ERROR_KEY: message, TRACEBACK_KEY: traceback.format_exc(), metric: math.nan})


class ContractError(Exception):
    """The trainable broke its contract with the sweep (the message names what it did and the fix)."""


class ReportCheck:
    """Checks each of a trial's reports against the contract as it is made, inside the worker.

    It wraps the report method of Ray's session for the trial's duration, so `ray.tune.report` and
    `ray.train.report` are both seen, however the trainable imported them.
    """

    def __init__(self, metric: str) -> None:
        self.metric = metric
        self.reports = 0
        self.stopping = False  # Ray stopped the trial (a SystemExit out of its own report)
        self._session: Any = None

    def install(self) -> None:
        try:
            from ray.train._internal.session import get_session

            session = get_session()
        except Exception:  # another Ray version's internals: the contract goes unchecked, Ray's own checks stay
            return
        if session is None or not hasattr(session, "report"):
            return
        original = session.report

        def report(metrics: Any, *args: Any, **kwargs: Any) -> Any:
            problem = report_problem(metrics, self.metric)
            if problem is not None:
                raise ContractError(problem)
            self.reports += 1
            try:
                return original(metrics, *args, **kwargs)
            except SystemExit:
                self.stopping = True
                raise

        # The instance's attribute shadows the class's method until uninstall().
        session.report = report  # type: ignore[method-assign]
        self._session = session

    def uninstall(self) -> None:
        if self._session is not None:
            vars(self._session).pop("report", None)
            self._session = None

    def after_return(self, returned: Any) -> str | None:
        """What is wrong with a trainable that returned, or None. A trial restored from a checkpoint may have
        nothing left to train (PBT resumes a trial at its last epoch): it reported in an earlier run."""
        if self.reports or self._session is None or _restored():
            return None
        return returned_problem(returned, self.metric)


def _restored() -> bool:
    """Whether this run of the trial started from a checkpoint."""
    try:
        from ray import tune

        return tune.get_checkpoint() is not None
    except Exception:  # no session to ask: take the trial as fresh
        return False


def report_problem(metrics: Any, metric: str) -> str | None:
    """Why a report breaks the contract, in one line naming the fix; None when it is fine.

    Example:
        >>> report_problem({"val_acc": 0.5, "epoch": 1}, "dev_accuracy")
        "reported no dev_accuracy (got: val_acc, epoch): report it (tune.report({'dev_accuracy': ...})) or set the \
spec's metric: to one of these"
        >>> report_problem({"dev_accuracy": "0.51"}, "dev_accuracy")
        "reported dev_accuracy as text ('0.51'): report a number (tune.report({'dev_accuracy': float(...)}))"
        >>> report_problem({"dev_accuracy": 0.5}, "dev_accuracy") is None
        True
    """
    if not isinstance(metrics, Mapping):
        return (
            f"reported a {type(metrics).__name__} instead of a dict of metrics: "
            f"call tune.report({{'{metric}': value, ...}})"
        )
    if ERROR_KEY in metrics or TIMEOUT_KEY in metrics:  # the guard's own last report
        return None
    if metric not in metrics:
        got = ", ".join(str(key) for key in list(metrics)[:8]) + (", ..." if len(metrics) > 8 else "")
        return (
            f"reported no {metric} (got: {got or 'nothing'}): report it (tune.report({{'{metric}': ...}})) "
            "or set the spec's metric: to one of these"
        )
    value = metrics[metric]
    if isinstance(value, str | bytes):
        shown = value[:20]
        return f"reported {metric} as text ({shown!r}): report a number (tune.report({{'{metric}': float(...)}}))"
    if value is None or isinstance(value, Mapping | list | tuple):
        kind = "None" if value is None else f"a {type(value).__name__}"
        return f"reported {metric} as {kind}: report one number (tune.report({{'{metric}': float(...)}}))"
    if not isinstance(value, numbers.Number) and not hasattr(value, "__float__"):
        return f"reported {metric} as a {type(value).__name__}: report a number, e.g. float(value)"
    return None


def returned_problem(returned: Any, metric: str) -> str:
    """Why a trainable that never reported is an error, in one line naming the fix.

    Example:
        >>> returned_problem({"dev_accuracy": 0.9}, "dev_accuracy")
        "returned a dict instead of reporting it: call tune.report({'dev_accuracy': ...}) each epoch instead of return"
        >>> returned_problem(None, "dev_accuracy")
        "returned without reporting dev_accuracy: call tune.report({'dev_accuracy': ...}) at least once (each epoch)"
    """
    if returned is not None:
        return (
            f"returned a {type(returned).__name__} instead of reporting it: "
            f"call tune.report({{'{metric}': ...}}) each epoch instead of return"
        )
    return f"returned without reporting {metric}: call tune.report({{'{metric}': ...}}) at least once (each epoch)"


def sys_exit_line(code: Any) -> str:
    """The trial's error when its trainable called ``sys.exit(code)``.

    Example:
        >>> sys_exit_line(3)
        'the trainable called sys.exit(3); return from it, or raise an exception'
    """
    return f"the trainable called sys.exit({code!r}); return from it, or raise an exception"


def _note_os_exit() -> Callable[[], None]:
    """Has an ``os._exit`` from the trainable's own thread leave a note in the trial's directory (Ray reads it
    as a dead worker, like a SIGKILL); returns the undo."""
    from sweep.run.trial_death import EXIT_NOTE, exit_note

    original = os._exit
    runner = threading.current_thread()

    def noted_exit(code: int) -> None:
        if threading.current_thread() is runner:
            with contextlib.suppress(Exception):  # no note: the recorder falls back to Ray's own words
                from ray import tune

                (Path(tune.get_context().get_trial_dir()) / EXIT_NOTE).write_text(exit_note(code))
        original(code)

    os._exit = noted_exit  # type: ignore[assignment]

    def undo() -> None:
        os._exit = original

    return undo


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
