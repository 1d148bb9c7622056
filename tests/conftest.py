"""Shared fixtures: one Ray instance for the whole session (started the way `sweep launch` starts it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
from sweep.cluster.environment import prepare_environment  # noqa: E402

prepare_environment(local=True)

SWEEP_BIN = str(Path(sys.executable).parent / "sweep")


@pytest.fixture(scope="session")
def ray_instance():
    """A local Ray with the dashboard and token auth, on loopback; CLI tests join it with --address."""
    import ray

    from sweep.cluster.local import connect

    connection = connect(cpus=2, dashboard=True, warm=False)
    yield connection
    ray.shutdown()


def tiny_spec(**changes: Any) -> dict[str, Any]:
    """A sweep that finishes in seconds: few trials, few epochs, ASHA with small rungs."""
    spec: dict[str, Any] = {
        "name": "tiny",
        "trainable": "mlp",
        "data": "digits",
        "samples": 6,
        "seed": 3,
        "scheduler": {"type": "asha", "grace_period": 1, "reduction_factor": 2},
        "space": {
            "lr": {"loguniform": [1e-3, 1.0], "default": 0.05, "tier": 1},
            "momentum": {"beta": [0.5, 0.99], "default": 0.9, "tier": 2},
            "batch_size": {"pow2": [64, 256], "default": 128, "tier": 2},
            "hidden_units": 16,
            "epochs": 4,
            "threads": 1,
        },
    }
    spec.update(changes)
    return spec


def run_cli(*args: str, timeout: float = 300, check: bool = False, **kwargs: Any) -> subprocess.CompletedProcess:
    """Runs the `sweep` console script; returns the completed process (text output)."""
    proc = subprocess.run([SWEEP_BIN, *args], capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"sweep {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def wait_for(condition: Any, what: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> Any:
    """Polls `condition` until it returns something truthy; fails naming `what` at the deadline, or at once if
    `proc` exits first (with its output)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"{proc.args[1] if len(proc.args) > 1 else proc.args} exited {proc.returncode} "
                                 f"before {what}:\n{out}\n{err}")  # fmt: skip
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
