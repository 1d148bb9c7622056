"""Scaling out on paper, measured: trials per minute of one sweep on a loopback cluster of 1 vs 2 worker nodes.

Each worker node is its own raylet with 1 CPU (Ray's cluster_utils, all on 127.0.0.1); the head has no CPUs,
so every trial runs on a worker node. The same spec runs against each cluster size through `sweep launch
--address`, interleaved, `--repeats` times.

    python -m bench.cluster_scaling [--trials 16] [--epochs 10] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
from sweep.cluster.environment import prepare_environment  # noqa: E402

prepare_environment(local=True)


def spec(trials: int, epochs: int) -> dict:
    return {
        "name": "scaling", "trainable": "mlp", "data": "digits", "samples": trials, "seed": 0,
        "scheduler": {"type": "fifo"},
        "space": {"lr": {"loguniform": [0.01, 0.5]}, "momentum": 0.9, "batch_size": 16, "hidden_units": 128,
                  "epochs": epochs, "threads": 1},
    }  # fmt: skip


def run_once(address: str, spec_path: Path, storage: Path) -> float:
    sweep_bin = str(Path(sys.executable).parent / "sweep")
    started = time.perf_counter()
    subprocess.run(
        [sweep_bin, "launch", str(spec_path), "--address", address, "--storage", str(storage), "--quiet"],
        check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from ray.cluster_utils import Cluster

    work = Path(tempfile.mkdtemp(prefix="sweep-scaling-"))
    spec_path = work / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec(args.trials, args.epochs)))
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    workers = [cluster.add_node(num_cpus=1)]
    cluster.wait_for_nodes()
    timings: dict[int, list[float]] = {1: [], 2: []}
    try:
        for _ in range(args.repeats):
            for size in (1, 2):
                while len(workers) < size:
                    workers.append(cluster.add_node(num_cpus=1))
                while len(workers) > size:
                    cluster.remove_node(workers.pop())
                cluster.wait_for_nodes()
                timings[size].append(run_once(cluster.address, spec_path, work / f"sweeps-{size}"))
    finally:
        cluster.shutdown()
    rows = {size: {"walls": walls, "trials_per_minute": [round(60 * args.trials / w, 1) for w in walls]}
            for size, walls in timings.items()}  # fmt: skip
    print("| worker nodes (1 CPU each) | sweep wall s | trials / minute |\n|---|---|---|")
    for size, row in rows.items():
        walls = ", ".join(f"{w:.1f}" for w in row["walls"])
        per_minute = ", ".join(f"{t:g}" for t in row["trials_per_minute"])
        print(f"| {size} | {walls} | {per_minute} |")
    print(json.dumps({"trials": args.trials, "epochs": args.epochs, "load": os.getloadavg(), "rows": rows}))


if __name__ == "__main__":
    main()
