"""How long `sweep launch` takes to end after SIGTERM while a trial hangs (a deadlocked data loader).

`docker stop` and `timeout -k` send SIGKILL a few seconds after SIGTERM, so the sweep must be recorded as
`interrupted` and the command gone well within that. Run: ``python -m bench.term_stop [--runs 3]``; it prints
one JSON line per run (seconds from SIGTERM to exit, exit code, the status sweep.json was left in) and the
slowest. Each run starts its own local Ray on 2 CPUs (about 20 s a run).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.runners.sweep_cli import launch_argv, sweep_root

HANGS = """
import time
from ray import tune

def hangs(config):
    tune.report({"epoch": 1, "dev_accuracy": float(config["x"])})
    time.sleep(3600)  # never ends, never answers a stop
"""
SPEC = "name: hang\ntrainable: toy:hangs\nsamples: 2\nscheduler: fifo\nspace: {x: {uniform: [0.0, 1.0]}, epochs: 2}\n"


def one_run(scratch: Path) -> dict[str, object]:
    (scratch / "toy.py").write_text(HANGS)
    (scratch / "spec.yaml").write_text(SPEC)
    storage = scratch / "sweeps"
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.Popen(
        launch_argv(scratch / "spec.yaml", scratch, 2),
        cwd=scratch,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while not list(storage.glob("*/history.csv")):  # a trial has reported: it hangs from here on
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the sweep ended (exit {proc.returncode}) before a trial reported")
            time.sleep(0.1)
        time.sleep(1.0)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)
        seconds = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    state = json.loads((sweep_root(scratch) / "sweep.json").read_text())
    return {"seconds_to_exit": round(seconds, 2), "exit_code": code, "status": state.get("status")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="how many runs (each starts its own Ray)")
    args = parser.parse_args()
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="term-stop-") as scratch:
            results.append(one_run(Path(scratch)))
            print(json.dumps(results[-1]), flush=True)
    print(json.dumps({"slowest_seconds_to_exit": max(r["seconds_to_exit"] for r in results)}))  # type: ignore[type-var]


if __name__ == "__main__":
    main()
