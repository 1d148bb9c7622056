"""What runner subprocesses share: the job file they read, the trial records they write, and phase timers
that start at the process's own start (so a runner's phases add up to its wall)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def process_started_at() -> float:
    """This process's start on the `time.time()` clock: its age from /proc (clock ticks since boot, 10 ms
    resolution) subtracted from now. NaN where /proc is missing."""
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime; the name may hold spaces
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return time.time() - (uptime - ticks / os.sysconf("SC_CLK_TCK"))


class Phases:
    """Consecutive phases from the process's start: `mark(name)` closes the phase that ends now."""

    def __init__(self) -> None:
        self.started_at = process_started_at()
        self._last = time.time()
        self.values: dict[str, float] = {"interpreter_and_imports": self._last - self.started_at}
        self._inner = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.time()
        self.values[name] = self.values.get(name, 0.0) + now - self._last
        self._last = now

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def inner_wall(self) -> float:
        """Seconds from the first phase timer to now (what runners reported as their wall before)."""
        return time.perf_counter() - self._inner

    def clock(self) -> dict[str, float]:
        """The stamps that place the phases on the bench's clock: process start, end of the last phase."""
        return {"process_started_at": self.started_at, "phases_ended_at": self._last}


def read_job() -> tuple[dict[str, Any], Path]:
    """`python -m bench.runners.X JOB.json OUT.json`: the job (configs, cores, ...) and where to write."""
    job_path, out_path = sys.argv[1], sys.argv[2]
    return json.loads(Path(job_path).read_text()), Path(out_path)


def trial_record(plan_id: str, history: list[dict[str, Any]]) -> dict[str, Any]:
    """One trial as every runner reports it, from its per-epoch metrics."""
    return {
        "plan_id": plan_id,
        "epochs": len(history),
        "train_seconds": float(history[-1]["train_seconds"]) if history else 0.0,
        "curve": [float(m["dev_accuracy"]) for m in history],
        "epoch_seconds": _epoch_seconds(history),
    }


def _epoch_seconds(history: list[dict[str, Any]]) -> list[float]:
    cumulative = [float(m["train_seconds"]) for m in history]
    return [b - a for a, b in zip([0.0, *cumulative], cumulative, strict=False)]


def write_out(out: Path, trials: list[dict[str, Any]], phases: Phases, **extra: Any) -> None:
    """The runner's record: its trials, its phases (closed with `write` now) and their clock stamps."""
    phases.mark("write")
    record = {"trials": trials, "phases": phases.values, "clock": phases.clock(), "inner_wall": phases.inner_wall()}
    out.write_text(json.dumps({**record, "finished_at": time.time(), **extra}))
