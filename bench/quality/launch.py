"""One budgeted run: a fresh process, its start time, and a stop when it overruns.

A run still going at `interrupt_after_s` gets SIGINT (a sweep then stops as after Ctrl-C and keeps what it
recorded), and SIGKILL to its whole process group `kill_after_s` later. The run is started in its own
session, so its process group holds only its own processes (Ray's included); whatever is left of the group
when the run has ended is killed too, so no run's workers compete with the next run for the cores.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import CpuSampler


@dataclass
class Launched:
    """What the bench saw of one run's process."""

    launched_at: float  # time.time() just before the process started: t = 0 of its reports
    wall: float
    returncode: int
    interrupted: bool  # it was still running at `interrupt_after_s` and got SIGINT
    cpu_percent: float  # whole machine, mean over the run
    load_before: tuple[float, float, float]
    output_tail: str


def run_budgeted(
    argv: list[str],
    log: Path,
    env: dict[str, str],
    launched_at: float,
    interrupt_after_s: float,
    kill_after_s: float = 30.0,
) -> Launched:
    """Run `argv` now; SIGINT it `interrupt_after_s` after `launched_at` (the caller's time.time() just before,
    written into the run's job), SIGKILL its group `kill_after_s` after that."""
    load = os.getloadavg()
    interrupted = False
    with log.open("w") as sink, CpuSampler() as cpu:
        process = subprocess.Popen(argv, env=env, stdout=sink, stderr=sink, start_new_session=True)
        try:
            process.wait(timeout=max(launched_at + interrupt_after_s - time.time(), 0.1))
        except subprocess.TimeoutExpired:
            interrupted = True
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=kill_after_s)
            except subprocess.TimeoutExpired:
                _kill_group(process.pid)
                process.wait()
        wall = time.time() - launched_at
    _kill_group(process.pid)  # stragglers of the run (its process group), if any
    tail = log.read_text(errors="replace")[-3000:]
    return Launched(launched_at, wall, process.returncode, interrupted, cpu.mean, load, tail)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
