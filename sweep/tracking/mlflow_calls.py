"""How sweep calls MLflow: bounded retries, and no web addresses printed on the terminal.

MLflow's client retries a failed request 7 times with a growing back-off (some 4 minutes), and the sweep's
driver waits with it: a tracking server that went down mid-sweep held the whole sweep for minutes at each
logged epoch, printing a retry warning every few seconds, and then ended it with an MLflow error. With a few
retries a call fails in seconds instead, and the callers go on without tracking (one warning line).

MLflow also prints two lines (a run's and its experiment's web address) each time a run on a server ends: a
pair per trial, on a `--quiet` launch too. MLflow's own switch turns them off.

Every setting is an environment variable MLflow reads at each request; a user's own value wins.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator

RETRIES = 2  # a brief outage survives this; a server that is down fails the call in seconds
TIMEOUT_S = 10  # one request: a server on a slow network answers well within this
# Loggers kept quieter inside: a new SQLite store's INFO lines ("Creating initial MLflow database tables..."),
# and urllib3's WARNING at each retry (in Ray's log format; the caller says in one line what failed).
QUIETER = {"mlflow.store.db.utils": logging.WARNING, "alembic": logging.WARNING,
           "urllib3.connectionpool": logging.ERROR}  # fmt: skip


@contextlib.contextmanager
def bounded_calls(retries: int = RETRIES) -> Iterator[None]:
    """MLflow calls inside retry at most `retries` times, wait at most `TIMEOUT_S` per request, print no web
    addresses and log no store set-up or retry lines; the environment and loggers are as they were afterwards.

    Example:
        >>> with bounded_calls(retries=0):
        ...     os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"]
        '0'
    """
    defaults = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(retries), "MLFLOW_HTTP_REQUEST_TIMEOUT": str(TIMEOUT_S),
                "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}  # fmt: skip
    set_here = [name for name in defaults if name not in os.environ]
    loggers = [logging.getLogger(name) for name in QUIETER]
    levels = [logger.level for logger in loggers]
    for name in set_here:
        os.environ[name] = defaults[name]
    for logger, level in zip(loggers, QUIETER.values(), strict=True):
        logger.setLevel(max(logger.level, level))
    try:
        yield
    finally:
        for name in set_here:
            os.environ.pop(name, None)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def reason(message: str) -> str:
    """MLflow's error in a few words: the HTTP status a server answered with, the connection's failure, or the
    message's first sentence.

    Example:
        >>> reason("API request to endpoint /api/2.0/mlflow/experiments/search failed with error code 404 != 200. "
        ...        "Response body: '<html>...'")
        'the server answered HTTP 404: not an MLflow tracking server'
        >>> reason("API request to http://127.0.0.1:1/api/2.0/mlflow/runs/log-batch failed with exception ... "
        ...        "(Caused by NewConnectionError(...: [Errno 111] Connection refused))")
        'connection refused'
        >>> reason("The filesystem tracking backend (e.g., './mlruns') is in maintenance mode. Please migrate.")
        "The filesystem tracking backend (e.g., './mlruns') is in maintenance mode"
    """
    status = re.search(r"error code (\d{3})\b", message)
    if status is not None:
        code = int(status.group(1))
        if code in (401, 403):
            return (f"the server refused sweep's request (HTTP {code}): set MLFLOW_TRACKING_USERNAME and "
                    "MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN")  # fmt: skip
        if code in (404, 405, 501):  # it has no MLflow API
            return f"the server answered HTTP {code}: not an MLflow tracking server"
        return f"the server answered HTTP {code}"
    if "unsupported URI" in message:
        return "no MLflow store has its scheme"
    if "SSLError" in message:
        return "its TLS handshake failed: a server without TLS is http://, not https://"
    if "timed out" in message.lower():
        return f"no answer within {TIMEOUT_S} s"
    if "Connection refused" in message:
        return "connection refused"
    if "Name or service not known" in message or "nodename nor servname" in message:
        return "no such host"
    cause = re.search(r"Caused by (\w+)\(", message)
    if cause is not None:
        return cause.group(1)
    first = message.strip().split(". ")[0].strip().rstrip(".")
    return first if len(first) <= 200 else first[:199] + "…"


_warned: set[tuple[str, str]] = set()  # (store, sweep) pairs whose warning this process has printed


def warn_stopped(uri: str, why: str, sweep_root: str) -> None:
    """The one warning line when MLflow stops taking a sweep's logs (the callback's calls and the closing
    summary's may both meet a store that is down: it is said once)."""
    if (uri, sweep_root) not in _warned:
        _warned.add((uri, sweep_root))
        logging.getLogger(__name__).warning(stopped_line(uri, why, sweep_root))


def has_stopped(uri: str, sweep_root: str) -> bool:
    """Whether MLflow at `uri` stopped taking this sweep's logs in this run (no point in asking it again)."""
    return (uri, sweep_root) in _warned


def forget_warning(uri: str, sweep_root: str) -> None:
    """A new run of the sweep (a resume) warns again if the store is down again."""
    _warned.discard((uri, sweep_root))


def stopped_line(uri: str, why: str, sweep_root: str) -> str:
    """The warning's text (`warning: ` included: the command line prints sweep's log records as they are).

    Example:
        >>> stopped_line("http://127.0.0.1:5000", "ConnectionRefusedError", "/s/x")  # doctest: +NORMALIZE_WHITESPACE
        "warning: MLflow at http://127.0.0.1:5000 stopped taking the sweep's logs (ConnectionRefusedError): the
        sweep goes on without tracking; its results are in /s/x"
    """
    return (f"warning: MLflow at {uri} stopped taking the sweep's logs ({why}): the sweep goes on without "
            f"tracking; its results are in {sweep_root}")  # fmt: skip
