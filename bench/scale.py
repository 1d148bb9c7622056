"""The scale probe: per-trial orchestration overhead of sweep's machinery for N trivial trials.

Each size runs in its own driver process (`python -m bench.scale N CORES STORAGE OUT`), which calls
`sweep.run.launch.run_sweep` (what `sweep launch` calls) on a FIFO spec whose trainable is `bench.trivial:train`.
The parent reads the driver's peak memory from its rusage.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


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
    trials, cores, storage, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    from sweep.run.launch import run_sweep
    from sweep.run.options import RunOptions

    started = time.perf_counter()
    result = run_sweep(spec(trials), RunOptions(storage=storage, cpus=cores, quiet=True, dashboard=False))
    wall = time.perf_counter() - started
    frame = result.trials
    out.write_text(
        json.dumps(
            {
                "trials": int(len(frame)),
                "train_seconds": float(frame["train_seconds"].astype(float).sum()),
                "wall": wall,
            }
        )
    )


if __name__ == "__main__":
    main()
