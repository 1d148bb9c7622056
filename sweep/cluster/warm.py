"""A local Ray kept up between sweeps (`sweep up` / `sweep down`): the edit-run loop skips Ray's start.

`sweep up` runs Ray's own `ray start --head` on 127.0.0.1 (every port on loopback, token auth, the
dashboard) with a temp directory of its own, and records the address in ``local-ray.json`` in the cache home
(``~/.cache/sweep``, see trainables.cache_home).
`sweep launch` without `--address` joins it when it answers and says so; `sweep down` ends exactly the
processes of that Ray (found by its temp directory) and removes the record. Nothing stays up unless asked.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sweep.cluster.environment import LOCAL_ENVIRONMENT, TOKEN_FILE
from sweep_errors import SweepError
from trainables.cache_home import cache_home

CACHE = cache_home()
RECORD = CACHE / "local-ray.json"
USERS = CACHE / "local-ray-users"  # one file per driver process joined to it: PID.json
TEMP_DIR = CACHE / "ray"  # short: Ray's socket paths live under it
DEFAULT_PORT = 6390


@dataclass(frozen=True)
class WarmRay:
    """A recorded `sweep up` Ray."""

    address: str  # 127.0.0.1:PORT
    dashboard_url: str | None
    temp_dir: str
    cpus: int | None

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])


def up(cpus: int | None = None, port: int = DEFAULT_PORT, dashboard: bool = True) -> WarmRay:
    """Starts the local Ray, or returns the one already up.

    Raises:
        SweepError: the port is taken by something else, or Ray failed to start (its last line).
    """
    running = find()
    if running is not None:
        return running
    if _answers(port):
        raise SweepError(f"port {port} on 127.0.0.1 is taken by another program; give another with --port")

    TEMP_DIR.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "ray"), "start", "--head", "--node-ip-address=127.0.0.1",
        f"--port={port}", f"--temp-dir={TEMP_DIR}", "--disable-usage-stats",
        f"--include-dashboard={'true' if dashboard else 'false'}", "--dashboard-host=127.0.0.1",
    ]  # fmt: skip
    if cpus is not None:
        command.append(f"--num-cpus={cpus}")
    env = {**os.environ, **LOCAL_ENVIRONMENT}  # loopback only, token auth, no usage statistics
    ensure_token(env)
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()] or done.stdout.splitlines()
        raise SweepError(
            f"`ray start` failed: {lines[-1] if lines else done.returncode}; see {TEMP_DIR}/session_latest"
        )
    warm = WarmRay(f"127.0.0.1:{port}", "http://127.0.0.1:8265" if dashboard else None, str(TEMP_DIR), cpus)
    CACHE.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(asdict(warm)))
    return warm


def ensure_token(env: dict[str, str]) -> Path:
    """The token Ray's token authentication checks (`ray start` makes none): generated once, readable by its
    owner only, since it opens the dashboard and the cluster."""

    token = Path(env.get("HOME", str(Path.home()))) / ".ray" / "auth_token" if "HOME" in env else TOKEN_FILE
    if not token.exists():
        subprocess.run([str(Path(sys.executable).parent / "ray"), "get-auth-token", "--generate"],
                       capture_output=True, text=True, env=env, check=False)  # fmt: skip
    if token.exists():
        token.chmod(0o600)
    return token


def find() -> WarmRay | None:
    """The recorded Ray when it still answers; a stale record (a reboot, a `ray stop`) is dropped."""
    try:
        warm = WarmRay(**json.loads(RECORD.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if _answers(warm.port):
        return warm
    RECORD.unlink(missing_ok=True)
    return None


def register_user(command: str) -> Path | None:
    """Notes that this process drives a sweep on the kept Ray, so `sweep down` does not pull it from under it."""
    try:
        USERS.mkdir(parents=True, exist_ok=True)
        path = USERS / f"{os.getpid()}.json"
        path.write_text(json.dumps({"pid": os.getpid(), "command": command, "since": time.time()}))
    except OSError:  # a read-only home must not stop a sweep; `down` then cannot tell, as before
        return None
    return path


def users() -> list[dict]:
    """The live processes driving sweeps on the kept Ray (records of dead ones are dropped)."""
    live = []
    for path in sorted(USERS.glob("*.json")) if USERS.is_dir() else []:
        try:
            record = json.loads(path.read_text())
            os.kill(int(record["pid"]), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
            continue
        except (OSError, ValueError, KeyError, TypeError):
            continue
        live.append(record)
    return live


def down(timeout: float = 2.0, force: bool = False) -> bool:
    """Ends the recorded Ray's processes (SIGTERM, then SIGKILL at `timeout`); False when none was up.

    Ray's GCS server, raylet and autoscaler monitor, sent SIGTERM together, wait for each other and do not exit:
    30 s of waiting ended every time in SIGKILL. The workers and agents exit at once; a local Ray keeps nothing
    that SIGKILL loses (its session directory stays for the logs).

    Raises:
        SweepError: a sweep still runs on it and `force` is False.
    """
    busy = users() if not force else []
    if busy and find() is not None:
        first = busy[0]
        others = f" and {len(busy) - 1} more" if len(busy) > 1 else ""
        raise SweepError(
            f"the local Ray is in use by a sweep (pid {first['pid']}: `{first['command']}`{others}); wait for it "
            "to end, or stop it anyway with `sweep down --force` (the sweep is then interrupted)"
        )
    warm = find()
    RECORD.unlink(missing_ok=True)
    pids = _pids_under(str(TEMP_DIR))
    if warm is None and not pids:
        return False
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pids_under(str(TEMP_DIR)):
        time.sleep(0.2)
    for pid in _pids_under(str(TEMP_DIR)):
        _signal(pid, signal.SIGKILL)
    return True


def _answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _pids_under(temp_dir: str) -> list[int]:
    """Processes whose command line names `temp_dir` (Ray's GCS, raylet, dashboard, agents, workers)."""
    pids = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if temp_dir in command:
            pids.append(int(entry.name))
    return pids


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
