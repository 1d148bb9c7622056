"""The bench's two probes: per-trial orchestration overhead and driver memory at growing trial counts (scale),
and our training loop's samples/s against a DataLoader loop (trainable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.job import job_command
from bench.measure import process_fields, run_process


def scale_probe(sizes: list[int], cores: int, scratch: Path) -> list[dict[str, Any]]:
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


def trainable_probe(mode: str) -> dict[str, Any]:
    """Training samples/s of our loop vs a DataLoader loop on digits (bench/trainable_speed.py)."""
    import torch

    from bench.trainable_speed import samples_per_second

    torch.set_num_threads(1)
    epochs = {"smoke": 1, "quick": 5}.get(mode, 20)
    samples_per_second("digits", 1, loader=False)  # warm-up: data cache, first kernels
    ours = samples_per_second("digits", epochs, loader=False)
    loader = samples_per_second("digits", epochs, loader=True)
    return {
        "data": "digits",
        "epochs": epochs,
        "ours_samples_per_s": ours,
        "dataloader_samples_per_s": loader,
        "speedup": ours / loader,
    }
