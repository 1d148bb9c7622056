"""Connecting to Ray: the embedded local instance (loopback only, dashboard, token auth) or a cluster.

Ray reads some settings from the environment once, at import; :func:`prepare_environment` sets them and brings an
already imported Ray up to date (a notebook imports `ray.tune` first), so it runs before every start or join.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sweep.cluster.client_log import hold_client_log
from sweep.cluster.environment import TOKEN_FILE, prepare_environment
from sweep.cluster.packaging_notice import drop_packaging_notice
from sweep.cluster.reachable import check_reachable
from sweep_errors import SweepError

T = TypeVar("T")


@dataclass(frozen=True)
class RayConnection:
    """What the driver is connected to."""

    address: str
    dashboard_url: str | None
    started_here: bool
    note: str | None = None  # how the driver found it, when that is worth saying
    user_record: str | None = None  # this driver's entry among the kept Ray's users (`sweep down` waits)

    def auth_hint(self) -> str:
        """How a person opens the dashboard when token authentication is on."""
        if not self.dashboard_url:
            return "dashboard: off"
        url = self.dashboard_url if "://" in self.dashboard_url else f"http://{self.dashboard_url}"
        return (
            f"dashboard: {url}  (token auth is on: paste the token from `ray get-auth-token` "
            f"or {TOKEN_FILE} when the page asks)"
        )


def connect(
    address: str | None = None,
    cpus: int | None = None,
    dashboard: bool = True,
    runtime_env: dict[str, Any] | None = None,
    warm: bool = True,
) -> RayConnection:
    """Joins the Ray instance this process already has, a cluster at `address`, the local Ray `sweep up` keeps
    (unless `warm` is False), or starts a local one.

    Example:
        >>> conn = connect(cpus=2)  # doctest: +SKIP
        >>> print(conn.auth_hint())  # doctest: +SKIP
    """
    from sweep.run.liveness import reclaim_term, term_in_ray_start

    try:
        connection = _join_or_start(address, cpus, dashboard, runtime_env, warm)
    except SystemExit as stop:  # SIGTERM while Ray started: Ray's handler of that moment exits
        term_in_ray_start(stop)
        raise
    reclaim_term()  # Ray's crash handler took SIGTERM: a sweep stops on it like on Ctrl-C
    return connection


def _join_or_start(
    address: str | None, cpus: int | None, dashboard: bool, runtime_env: dict[str, Any] | None, warm: bool
) -> RayConnection:
    address, given_by = requested_address(address)
    prepare_environment(local=address is None)
    import ray

    drop_packaging_notice()  # `.git` and `.venv` are left out of a shipped project by sweep's own excludes
    # Workers log warnings and errors only: Ray Train's INFO line per checkpoint would flood the terminal.
    init = functools.partial(ray.init, runtime_env=runtime_env, logging_level=logging.WARNING)
    worker_logging = ray.LoggingConfig(log_level="WARNING")
    if ray.is_initialized():
        context = ray.get_runtime_context()
        return RayConnection(context.gcs_address, _dashboard_url(), started_here=False)
    if address is None and warm:
        from sweep.cluster.warm import find

        kept = find()
        if kept is not None:
            import sys

            from sweep.cluster.warm import register_user

            record = register_user(" ".join(["sweep", *sys.argv[1:]]) if sys.argv else "sweep")
            init(address=kept.address, log_to_driver=False)
            note = f"ray: the local Ray from `sweep up` at {kept.address} (`sweep down` stops it)"
            return RayConnection(
                kept.address, kept.dashboard_url, started_here=False, note=note,
                user_record=str(record) if record else None,
            )  # fmt: skip
    if address is not None:
        check_reachable(address, given_by)
        client = address.startswith("ray://")
        if client:
            hold_client_log()  # the cluster side's warnings go to the sweep's log, not the terminal
        try:  # workers' output stays in Ray's logs and the dashboard, as on the embedded Ray (below, for why)
            info = with_retries(
                lambda: init(address=address, logging_config=worker_logging, log_to_driver=False),
                retry_on=ConnectionAbortedError if client else (),
            )
        except (ConnectionError, RuntimeError, TimeoutError, ray.exceptions.RayError) as err:
            reason = _reason(err)
            raise SweepError(
                f"cannot connect to the Ray cluster at '{address}': {reason}; check the address (`ray status` on "
                f"the head) and that this machine has the cluster's token ({TOKEN_FILE}, RAY_AUTH_MODE=token)"
            ) from None
        return RayConnection(ray.get_runtime_context().gcs_address, _url_of(info), started_here=False)
    try:
        info = init(
            address="local",  # always a new instance: never join a cluster some other process left behind
            num_cpus=cpus,
            include_dashboard=dashboard,
            dashboard_host="127.0.0.1",
            logging_config=worker_logging,
            # Workers' output stays in Ray's log files (and the dashboard): streamed to this terminal it ends a
            # successful sweep with `Exception ignored ... SystemExit` from workers Ray stops at shutdown, and
            # repeats the trial errors the sweep already reports in one line each.
            log_to_driver=False,
        )
    except Exception as err:  # Ray's node start raises a bare Exception when its processes miss their deadline
        raise RayStartError(
            f"the local Ray did not start ({_reason(err)}): the machine may be too busy or short of memory; "
            "try again when it is quieter (Ray's own logs: /tmp/ray/session_latest/logs)"
        ) from None
    if TOKEN_FILE.exists():  # Ray writes the token that opens the dashboard readable by every local user
        TOKEN_FILE.chmod(0o600)
    return RayConnection(ray.get_runtime_context().gcs_address, _url_of(info), started_here=True)


class RayStartError(SweepError):
    """The embedded local Ray could not start here (a failure of the run: exit 1)."""

    exit_code = 1


def requested_address(address: str | None) -> tuple[str | None, str]:
    """The cluster a driver joins, and who named it: `address` (``--address``), else ``RAY_ADDRESS`` (set for a
    driver that `ray job submit` started); None for the embedded local Ray (``local`` is Ray's word for it).

    Example:
        >>> requested_address("ray://head:10001"), requested_address("local")
        (('ray://head:10001', ''), (None, ''))
    """
    if address is None and os.environ.get("RAY_ADDRESS"):
        address, given_by = os.environ["RAY_ADDRESS"], "RAY_ADDRESS"
    else:
        given_by = ""
    return (None, "") if address == "local" else (address, given_by)


def with_retries(
    call: Callable[[], T],
    retry_on: type[BaseException] | tuple[type[BaseException], ...],
    attempts: int = 3,
    wait_s: float = 2.0,
) -> T:
    """`call()`, tried again (after `wait_s`, then twice that) when it raises `retry_on`; the last error is raised.

    Ray Client's handshake fails with ``ConnectionAbortedError("Initialization failure from server: ...")`` when
    the head could not set up this connection's server in time (a busy head); a new connection gets a new server.

    Example:
        >>> tries = iter([ConnectionAbortedError("busy"), "connected"])
        >>> def connect():
        ...     outcome = next(tries)
        ...     if isinstance(outcome, Exception):
        ...         raise outcome
        ...     return outcome
        >>> with_retries(connect, ConnectionAbortedError, wait_s=0)
        'connected'
    """
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except retry_on:
            if attempt == attempts:
                raise
            time.sleep(wait_s * attempt)
    raise AssertionError("unreachable")  # the loop returns or raises


def _url_of(info: object) -> str | None:
    url = getattr(info, "dashboard_url", None)
    return str(url) if url else None


def _dashboard_url() -> str | None:
    import ray

    try:
        return ray._private.worker.get_dashboard_url() or None  # same value ray.init() returned
    except Exception:  # dashboard not running
        return None


def disconnect(connection: RayConnection) -> None:
    """Stops the Ray instance only if this driver started it (its "(raylet) ..." messages then print as Ray
    prints them again; a joined Ray's late ones still go to the last sweep's log)."""
    import ray

    if connection.user_record:
        from pathlib import Path

        Path(connection.user_record).unlink(missing_ok=True)
    if connection.started_here and ray.is_initialized():
        ray.shutdown()
        from sweep.run.ray_log import restore

        restore()


def _reason(err: BaseException) -> str:
    r"""One line for a failed connection: the message's first line, and when that only introduces what follows
    (Ray Client's "Initialization failure from server:" then the server's traceback), the last line too.

    Example:
        >>> _reason(ConnectionAbortedError("Initialization failure from server:\nTraceback ...\nRuntimeError: no port"))
        'Initialization failure from server: RuntimeError: no port'
    """
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()] or [type(err).__name__]
    return f"{lines[0]} {lines[-1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]
