"""What runner subprocesses share: the job file they read and the trial records they write."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


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


def write_out(out: Path, trials: list[dict[str, Any]], **extra: Any) -> None:
    out.write_text(json.dumps({"trials": trials, "finished_at": time.time(), **extra}))
