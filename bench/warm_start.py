"""The bench's warm path: `sweep up` once before a workload's repetitions, `sweep down` after, always."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.measure import REPO, run_process, sweep_environment

SWEEP_BIN = Path(sys.executable).parent / "sweep"


@contextmanager
def warm_ray(home: Path, cores: int, scratch: Path) -> Iterator[dict[str, Any]]:
    """`sweep up --cpus CORES --no-dashboard` under the bench's warm HOME, and `sweep down` after, always.

    Raises:
        RuntimeError: `sweep up` failed, or it did not record `cores` CPUs.
    """
    env = sweep_environment(home)
    log = scratch / "sweep-up.log"
    port = _free_port()
    argv = [str(SWEEP_BIN), "up", "--cpus", str(cores), "--no-dashboard", "--port", str(port)]
    started = time.perf_counter()
    try:
        # A fresh HOME has no ~/.ray/auth_token, and `ray start` (unlike `ray.init`) does not make one.
        token = [str(SWEEP_BIN.parent / "ray"), "get-auth-token", "--generate"]
        subprocess.run(token, cwd=REPO, env={**env, "RAY_AUTH_MODE": "token"}, capture_output=True, timeout=120)
        up = run_process(argv, log, env, timeout=300)
        info: dict[str, Any] = {"up_seconds": time.perf_counter() - started, "returncode": up.returncode}
        if up.returncode != 0:
            raise RuntimeError(f"`sweep up` failed (exit {up.returncode}): {up.output_tail[-1500:]}")
        record = json.loads((home / ".cache" / "sweep" / "local-ray.json").read_text())
        info.update(address=record["address"], cpus=record["cpus"])
        if info["cpus"] != cores:  # each warm run checks the CPUs Ray offers too (run_one)
            raise RuntimeError(f"`sweep up` recorded {info['cpus']} CPUs ({info}); the others get {cores}")
        yield info
    finally:  # always: nothing of the bench's stays up
        try:
            down = subprocess.run(
                [str(SWEEP_BIN), "down"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
            )
            said = (down.stdout + down.stderr).strip()[-300:]
        except subprocess.TimeoutExpired:
            said = "timed out after 120 s"
        print(f"  sweep down: {said}", flush=True)


def _free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now (6390, `sweep up`'s default, may be another's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
