"""The scale probe: per-trial orchestration overhead of sweep's machinery for N trivial trials.

Each size runs in its own driver process (`python -m bench.scale JOB.json OUT.json`, :mod:`bench.job`), which
calls `sweep.run_sweep` (what `sweep launch` calls) on a FIFO spec whose trainable is `bench.trivial:train`.
The parent reads the driver's peak memory from its rusage.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.job import read_job


def spec(trials: int) -> dict[str, Any]:
    return {
        "name": f"scale-{trials}",
        "trainable": "bench.trivial:train",
        "metric": "dev_accuracy",
        "mode": "max",
        "samples": trials,
        "seed": 0,
        "scheduler": {"type": "fifo"},
        "rounds": 1,
        "space": {"x": {"uniform": [0, 1]}, "epochs": 3},
    }


def main() -> None:
    job, out = read_job()
    from sweep import RunOptions, run_sweep

    started = time.perf_counter()
    options = RunOptions(storage=job["storage"], cpus=job["cores"], quiet=True, dashboard=False)
    frame = run_sweep(spec(job["trials"]), options).trials
    wall = time.perf_counter() - started
    out.write_text(
        json.dumps(
            {"trials": len(frame), "train_seconds": float(frame["train_seconds"].astype(float).sum()), "wall": wall}
        )
    )


if __name__ == "__main__":
    main()
