"""The scale probe: per-trial orchestration overhead of sweep's machinery and driver memory for N trivial trials.

Each size runs in its own driver process (`python -m bench.scale JOB.json OUT.json`, :mod:`bench.job`), which
calls `sweep.run_sweep` (what `sweep launch` calls) on a FIFO spec whose trainable is :func:`train`.
The parent (:func:`scale_probe`) reads the driver's peak memory from its rusage.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench.job import job_command, read_job
from bench.measure import process_fields, run_process


def train(config: dict[str, Any]) -> None:
    """A trainable that does next to nothing: what is left of a trial's wall is the orchestration's. It reports
    `epochs` epochs with the same keys our trainable reports."""
    from ray import tune

    seconds = 0.0
    for epoch in range(1, int(config.get("epochs", 3)) + 1):
        started = time.perf_counter()
        value = sum(i * i for i in range(100))  # near-zero work, but real work
        seconds += time.perf_counter() - started
        tune.report(
            {
                "epoch": epoch,
                "dev_accuracy": float(config.get("x", 0.0)),
                "train_seconds": seconds,
                "checksum": value,
            }
        )


def spec(trials: int) -> dict[str, Any]:
    return {
        "name": f"scale-{trials}",
        "trainable": "bench.scale:train",
        "metric": "dev_accuracy",
        "mode": "max",
        "samples": trials,
        "seed": 0,
        "scheduler": {"type": "fifo"},
        "rounds": 1,
        "space": {"x": {"uniform": [0, 1]}, "epochs": 3},
    }


def scale_probe(sizes: list[int], cores: int, scratch: Path) -> list[dict[str, Any]]:
    """One driver process per size in `sizes`: its overhead per trial (core·s) and its peak memory."""
    points = []
    for trials in sizes:
        workdir = scratch / f"scale-{trials}"
        workdir.mkdir()
        argv, out = job_command(
            "bench.scale", {"trials": trials, "cores": cores, "storage": str(workdir / "s")}, workdir
        )
        proc = run_process(argv, workdir / "log.txt")
        point: dict[str, Any] = {"trials": trials, **process_fields(proc), "ok": False}
        if proc.returncode == 0 and out.exists():
            data = json.loads(out.read_text())
            # the driver's run_sweep wall (Ray start to shutdown), not the interpreter's start-up
            overhead = (data["wall"] * cores - data["train_seconds"]) / max(data["trials"], 1)
            point.update(
                ok=True,
                run_sweep_wall=data["wall"],
                trials_done=data["trials"],
                train_seconds=data["train_seconds"],
                overhead_per_trial=overhead,
            )
            print(
                f"  scale {trials}: {overhead:.3f} s/trial overhead, driver {proc.driver_maxrss_mb:.0f} MB", flush=True
            )
        else:
            point["error"] = proc.output_tail[-1500:]
            print(f"  scale {trials}: FAILED", flush=True)
        points.append(point)
    return points


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
