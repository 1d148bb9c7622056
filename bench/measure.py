"""Measuring one subprocess, for every bench: wall clock, its peak memory (ru_maxrss), whole-machine CPU use
meanwhile (samples on the `time.time()` clock, so a window of the run can be averaged on its own), and a stop
when it overruns its budget."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from sweep.cluster.environment import LOCAL_ENVIRONMENT

REPO = Path(__file__).resolve().parent.parent


@dataclass
class ProcessRun:
    """What the bench saw of one subprocess."""

    wall: float
    returncode: int
    driver_maxrss_mb: float  # the process itself (the driver), not its children: Ray's workers are not waited on
    cpu_percent: float  # whole machine, mean over the run (100 = every core busy)
    load_before: tuple[float, float, float]
    output_tail: str
    cpu_samples: list[tuple[float, float]]  # (time.time(), whole-machine CPU % since the previous sample)
    started_at: float  # time.time() just before the fork (or the caller's stamp: t = 0 of a budgeted run)
    ended_at: float  # time.time() once the process was reaped
    interrupted: bool = False  # it was still running at its budget and got SIGINT


@contextlib.contextmanager
def cpu_samples(interval: float = 0.5) -> Iterator[list[tuple[float, float]]]:
    """psutil.cpu_percent (all cores) every `interval` s on a thread, into the list it yields, and once more at the
    end; each sample is stamped with `time.time()` and covers the interval since the previous one."""
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            samples.append((time.time(), psutil.cpu_percent(interval=None)))

    psutil.cpu_percent(interval=None)  # the first call only sets the baseline
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()
        samples.append((time.time(), psutil.cpu_percent(interval=None)))  # the tail since the last one


def sweep_environment(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """`sweep launch` / `sweep up` / `sweep down`'s environment: `environment` without RAY_ADDRESS (with it
    `sweep launch` would take the cluster path and skip the local defaults and the `sweep up` Ray), and a
    HOME of the bench's own: the `sweep up` record (~/.cache/sweep/local-ray.json) and Ray's token live
    under it, so a cold run never joins some other Ray kept up on this machine, and a warm run joins ours."""
    env = environment(extra)
    env.pop("RAY_ADDRESS")
    env.pop("XDG_CACHE_HOME", None)  # the cache home (where the record lives) under HOME too
    env["HOME"] = str(home)
    return env


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The subprocesses' environment: the repo on PYTHONPATH (Ray workers import `bench.*` from it), no
    usage statistics (the machine has no way out), and RAY_ADDRESS=local: without it `ray.init()` joins
    (sweep: fails on `num_cpus` for) any Ray instance already running on the machine, e.g. a test's."""
    # Start every runner from a user's plain shell: drop what sweep's own environment setup (done by our
    # test suite's conftest, say) leaked into ours, or "Ray defaults" would run without its default loggers.
    # (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER is set again below, for every runner alike.)
    env = {k: v for k, v in os.environ.items() if k not in LOCAL_ENVIRONMENT}
    env["RAY_ADDRESS"] = "local"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    # Every runner's Ray on loopback (the bench sends nothing to the machine's LAN address): Ray binds the LAN
    # address on Linux unless told this is a single-node cluster. It changes where Ray listens, nothing else.
    env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    env.update(extra or {})
    return env


def run_process(
    argv: list[str],
    log: Path,
    env: dict[str, str] | None = None,
    timeout: float = 3600,
    started_at: float | None = None,
    interrupt_after: float | None = None,
    kill_after: float = 30.0,
) -> ProcessRun:
    """Runs `argv` from the repo root, output to `log`; waits with wait4 to get the child's own rusage; kills it
    after `timeout` s. A budgeted run (`interrupt_after` s from `started_at`, the caller's time.time() written
    into its job) runs in its own session: at its budget it gets SIGINT (a sweep then stops as after Ctrl-C and
    keeps what it recorded), SIGKILL to its process group `kill_after` s later, and whatever is left of the
    group (Ray's workers) is killed when it has ended, so no run competes with the next for the cores."""
    load = os.getloadavg()
    budgeted, interrupted = interrupt_after is not None, False
    with log.open("w") as sink, cpu_samples() as cpu:
        started_at = time.time() if started_at is None else started_at
        began = time.perf_counter() - (time.time() - started_at)  # started_at on the perf_counter clock
        process = subprocess.Popen(
            argv, cwd=REPO, env=env or environment(), stdout=sink, stderr=sink, start_new_session=budgeted
        )
        stop_at = began + (interrupt_after if interrupt_after is not None else timeout)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > stop_at:
                if budgeted and not interrupted:
                    interrupted = True
                    process.send_signal(signal.SIGINT)
                    stop_at = time.perf_counter() + kill_after
                    continue
                _kill(process.pid, budgeted)
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        wall, ended_at = time.perf_counter() - began, time.time()
    process.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait on a reaped pid
    if budgeted:
        _kill(process.pid, group=True)  # stragglers of the run (its process group), if any
    tail = log.read_text(errors="replace")[-3000:]
    maxrss = usage.ru_maxrss / 1024
    mean = statistics.fmean(p for _, p in cpu) if cpu else float("nan")
    return ProcessRun(wall, process.returncode, maxrss, mean, load, tail, cpu, started_at, ended_at, interrupted)


def _kill(pid: int, group: bool) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL) if group else os.kill(pid, signal.SIGKILL)


def process_fields(proc: ProcessRun) -> dict[str, Any]:
    """The fields of a process run that every bench record keeps (not its output, nor the CPU samples)."""
    return {k: v for k, v in dataclasses.asdict(proc).items() if k not in ("output_tail", "cpu_samples")}
