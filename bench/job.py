"""What a runner process reads and writes, for both benches: ``python -m bench.<runner> JOB.json OUT.json``.

The job is a JSON dict (configs or a space to search, cores, budget, ...). The result holds the trials, each
from a :class:`TrialRecorder`: ``{"id", "config", "reports": [[t, epoch, dev_accuracy, train_seconds], ...]}``
where ``t`` is seconds since the bench started the process (``job["launched_at"]``, the same clock for every
method; a job without it stamps `time.time()`), with :class:`Phases` timed from the process's own start. The
cost bench keeps each trial as its :func:`trial_record`, the quality bench its reports' first three columns.

Example:
    >>> rec = TrialRecorder({"launched_at": 0.0, "deadline": 10.0})
    >>> rec.add("t1", {"lr": 0.1}, {"epoch": 1, "dev_accuracy": 0.5, "train_seconds": 0.2}, now=2.0)
    >>> rec.records()[0]["reports"]
    [[2.0, 1, 0.5, 0.2]]
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any


def job_command(module: str, job: dict[str, Any], workdir: Path) -> tuple[list[str], Path]:
    """The bench's side: `job` written into `workdir`, the runner's command line, and where its result will be."""
    (workdir / "job.json").write_text(json.dumps(job))
    out = workdir / "out.json"
    return [sys.executable, "-m", module, str(workdir / "job.json"), str(out)], out


def read_out(out: Path, returncode: int, output_tail: str) -> dict[str, Any]:
    """A runner's result, or a RuntimeError with the end of its output when it failed."""
    if returncode != 0:
        raise RuntimeError(f"exit {returncode}: {output_tail[-1500:]}")
    return json.loads(out.read_text())


def read_job() -> tuple[dict[str, Any], Path]:
    """The job (``sys.argv[1]``) and where to write the result (``sys.argv[2]``)."""
    return json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2])


def write_out(out: Path, trials: list[dict[str, Any]], phases: Phases | None = None, **extra: Any) -> None:
    """The runner's result: its trials, its phases if timed (closed with `write` now), anything else measured."""
    record: dict[str, Any] = {"trials": trials}
    if phases is not None:
        phases.mark("write")
        record.update(phases=phases.values, clock=phases.clock())
    out.write_text(json.dumps({**record, "finished_at": time.time(), **extra}))


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

    def mark(self, name: str) -> None:
        now = time.time()
        self.values[name] = self.values.get(name, 0.0) + now - self._last
        self._last = now

    def clock(self) -> dict[str, float]:
        """The stamps that place the phases on the bench's clock: process start, end of the last phase."""
        return {"process_started_at": self.started_at, "phases_ended_at": self._last}


def trial_record(trial: dict[str, Any]) -> dict[str, Any]:
    """One trial of the cost bench (epochs, training seconds, dev_accuracy curve) from its runner's record."""
    cumulative = [float(r[3]) for r in trial["reports"]]
    return {
        "plan_id": trial["id"],
        "epochs": len(cumulative),
        "train_seconds": cumulative[-1] if cumulative else 0.0,
        "curve": [float(r[2]) for r in trial["reports"]],
        "epoch_seconds": [b - a for a, b in zip([0.0, *cumulative], cumulative, strict=False)],
    }


def asha(job: dict[str, Any]) -> Any:
    """Ray Tune's ASHAScheduler over epochs with the job's grace period, reduction factor and epoch cap (the Ray
    Tune runners)."""
    from ray.tune.schedulers import ASHAScheduler

    rungs = {"grace_period": int(job["grace_period"]), "reduction_factor": int(job["reduction_factor"])}
    return ASHAScheduler(time_attr="training_iteration", max_t=int(job["epochs"]), **rungs)


def train(config: dict[str, Any], session: Any) -> Any:
    """Train `config` by the shared epoch loop (``trainables.loop.run_training``) with the model its ``trainable``
    key names (a built-in; the mlp when absent): the training of every runner, so all train the same model.
    Returns the loop's :class:`~trainables.loop.TrainingOutcome`."""
    from trainables.loop import run_training
    from trainables.registry import builtin

    return run_training(config, session, family=builtin(str(config.get("trainable", "mlp"))).family)


def plain(config: dict[str, Any]) -> dict[str, Any]:
    """A config with numpy scalars as Python numbers (for JSON)."""
    return {k: v.item() if hasattr(v, "item") else v for k, v in config.items()}


class TrialRecorder:
    """Collects reports from trainers (threads or callbacks) with their time since the job's launch; thread-safe."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.launched_at = float(job.get("launched_at", 0.0))
        self.deadline = float(job.get("deadline", math.inf))  # a quality job's budget; none for the cost bench
        self._trials: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def add(self, trial_id: str, config: dict[str, Any], metrics: dict[str, Any], now: float | None = None) -> None:
        stamp = (time.time() if now is None else now) - self.launched_at
        row = [round(stamp, 3), int(metrics["epoch"]), float(metrics["dev_accuracy"]), float(metrics["train_seconds"])]
        with self._lock:
            trial = self._trials.setdefault(trial_id, {"id": trial_id, "config": plain(config), "reports": []})
            trial["reports"].append(row)

    def past_deadline(self) -> bool:
        return time.time() >= self.deadline

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(t) for t in self._trials.values()]
