"""What a runner process reads (its job) and writes (every trial's reports, each with a wall-clock timestamp).

A trial record is ``{"id", "config", "reports": [[t, epoch, dev_accuracy], ...]}`` where ``t`` is seconds
since the run's process was started by the bench (``job["launched_at"]``, the same clock for every method).

Example:
    >>> rec = TrialRecorder(launched_at=0.0, deadline=10.0)
    >>> rec.add("t1", {"lr": 0.1}, epoch=1, dev_accuracy=0.5, now=2.0)
    >>> rec.records()[0]["reports"]
    [[2.0, 1, 0.5]]
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from search_spaces import Space, load_spec


def read_job() -> tuple[dict[str, Any], Path]:
    """``python -m bench.quality.X JOB.json OUT.json``: the job and where to write the result."""
    return json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2])


def job_space(job: dict[str, Any]) -> Space:
    """The search space of the job's spec (the preset's, with the mode's epoch cap), as every method samples it."""
    return load_spec(job["spec"]).space


def base_config(job: dict[str, Any]) -> dict[str, Any]:
    """Keys every trial config carries besides the sampled ones: the data and the epoch cap."""
    return {"data": job["data"], "epochs": int(job["epochs"]), "threads": 1, "checkpoint_every": 0}


class TrialRecorder:
    """Collects reports from trainers (threads or callbacks) with their time since launch; thread-safe."""

    def __init__(self, launched_at: float, deadline: float) -> None:
        self.launched_at = launched_at
        self.deadline = deadline
        self._trials: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def add(
        self, trial_id: str, config: dict[str, Any], epoch: int, dev_accuracy: float, now: float | None = None
    ) -> None:
        stamp = (time.time() if now is None else now) - self.launched_at
        with self._lock:
            trial = self._trials.setdefault(trial_id, {"id": trial_id, "config": _plain(config), "reports": []})
            trial["reports"].append([round(stamp, 3), int(epoch), float(dev_accuracy)])

    def past_deadline(self) -> bool:
        return time.time() >= self.deadline

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(t) for t in self._trials.values()]


def write_result(out: Path, trials: list[dict[str, Any]], **extra: Any) -> None:
    """The runner's result file: its trials and anything else it measured."""
    out.write_text(json.dumps({"trials": trials, "finished_at": time.time(), **extra}))


def _plain(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v.item() if hasattr(v, "item") else v for k, v in config.items()}
