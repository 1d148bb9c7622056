"""Shared fixtures: one Ray instance for the whole session (started the way `sweep launch` starts it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# The repository on the path of every process a test starts (the `sweep` console script, Ray's workers), as
# pytest's `pythonpath` puts it on this one's: trainables of the test suite are named `tests.module:function`.
_REPO = str(Path(__file__).resolve().parents[1])
if _REPO not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_REPO, os.environ.get("PYTHONPATH", "")) if p)
from sweep.cluster.environment import prepare_environment  # noqa: E402

prepare_environment(local=True)

SWEEP_BIN = str(Path(sys.executable).parent / "sweep")

# A user's project, imported by the tests only through its spec's project dir: `--doctest-modules` would
# otherwise import it here and leave it on sys.path for every later test.
collect_ignore = ["user_project"]

# Fixtures that start Ray (this file's shared instance; test_cluster's multi-node clusters). A test using one
# must carry the `ray` marker, or `pytest -m "not ray"` (the fast tier) would start Ray after all.
RAY_FIXTURES = frozenset({"ray_instance", "cluster", "head_node", "bench_smokes"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuses to run a test that uses a Ray-starting fixture without the `ray` marker; runs the modules that
    read the benches' smokes last, so the smokes (started with the session) run beside the other tests."""
    unmarked = [
        f"{item.nodeid} (uses {', '.join(sorted(RAY_FIXTURES & set(getattr(item, 'fixturenames', ()))))})"
        for item in items
        if RAY_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("ray") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests start Ray but lack the `ray` marker; add `@pytest.mark.ray` (or a module-level "
            "`pytestmark = pytest.mark.ray`) so the fast tier `-m 'not ray'` leaves them out:\n  "
            + "\n  ".join(unmarked)
        )
    smoked = {item.module for item in items if _reads_smokes(item)}
    items.sort(key=lambda item: getattr(item, "module", None) in smoked)  # stable: each module keeps its order


def _reads_smokes(item: pytest.Item) -> bool:
    """Whether a test reads the benches' smokes (the `bench_smokes` fixture)."""
    return "bench_smokes" in getattr(item, "fixturenames", ())


def _ray_running() -> bool:
    ray = sys.modules.get("ray")
    return ray is not None and bool(ray.is_initialized())


@pytest.fixture(autouse=True)
def _no_ray_without_the_marker(request: pytest.FixtureRequest):
    """Fails a test without the `ray` marker that starts Ray in this process (the fast tier must not)."""
    before = _ray_running()
    yield
    if not before and _ray_running() and request.node.get_closest_marker("ray") is None:
        pytest.fail(f"{request.node.nodeid} started Ray without the `ray` marker: mark it `@pytest.mark.ray`")


@pytest.fixture(scope="session")
def ray_instance():
    """A local Ray with the dashboard and token auth, on loopback; CLI tests join it with --address.

    Only for tests marked `ray` (checked at collection, see `pytest_collection_modifyitems`).
    """
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


def invoke_cli(
    *args: str, cwd: str | Path | None = None, env: dict[str, str] | None = None, check: bool = False, **_: Any
) -> subprocess.CompletedProcess:
    """Runs `sweep ARGS` in this process through the console script's own `main()`; returns what `run_cli` does.

    The same parsing, one-line errors and exit codes as the console script, without a fresh Python (and its
    torch import, some 2 s on 2 cores) per call. `cwd` and `env` hold for the call only: this process's
    environment, working directory, warning display and `sys.path` are restored afterwards, and the modules
    imported through what the command added to `sys.path` (a user's project) are forgotten, as a process
    exiting would. Further keywords (`timeout`) are `run_cli`'s, ignored here. The console script itself (the
    packaging contract, Ctrl-C, a process's exit) keeps its tests through `run_cli`: at least one per command
    family.
    """
    import contextlib
    import io
    import warnings

    from sweep.cli.main import main
    from sweep.cluster import environment

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd, saved_show, saved_path = dict(os.environ), os.getcwd(), warnings.showwarning, list(sys.path)
    saved_modules, saved_set_here = set(sys.modules), set(environment._set_here)
    environment._set_here.clear()  # a fresh process set none of its environment itself
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    code: int = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
                if isinstance(exit_.code, str):
                    err.write(exit_.code + "\n")
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        environment._set_here.clear()
        environment._set_here.update(saved_set_here)
        warnings.showwarning = saved_show
        added = tuple(str(Path(entry).resolve()) + os.sep for entry in sys.path if entry and entry not in saved_path)
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:  # a user project's modules, imported from its own dir
            if added and str(getattr(sys.modules[name], "__file__", None) or "").startswith(added):
                del sys.modules[name]
    done = subprocess.CompletedProcess(["sweep", *args], code, out.getvalue(), err.getvalue())
    if check and code != 0:
        raise AssertionError(f"sweep {' '.join(args)} exited {code}:\n{done.stdout}\n{done.stderr}")
    return done


def free_port() -> int:
    """A loopback port nothing listens on now (the OS's pick; free until something binds it)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


class BenchSmokes:
    """The benches' smoke runs (`python -m bench.run --smoke`, `python -m bench.quality --smoke`).

    Each smoke is a chain of fresh processes that mostly wait on Ray's start (some 100 and 125 s alone), so they
    run beside other tests at little cost. Each writes its JSON and log under its own directory; no timing is
    asserted on either.
    """

    MODULES = {"cost": "bench.run", "quality": "bench.quality"}

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runs: dict[str, tuple[subprocess.Popen, Path]] = {}

    def start(self, kind: str) -> None:
        """Starts one smoke (once)."""
        if kind in self.runs:
            return
        out = self.root / kind
        out.mkdir()
        with (out / "log.txt").open("w") as log:  # the child keeps its own handle on the file
            proc = subprocess.Popen(
                [sys.executable, "-m", self.MODULES[kind], "--smoke", "--out", str(out / f"{kind}.json")],
                cwd=Path(__file__).resolve().parent.parent, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.runs[kind] = (proc, out)

    def result(self, kind: str, timeout: float = 900) -> tuple[int, str, Path]:
        """(exit code, the log's last 6,000 characters, the JSON's path) of one smoke, once it has ended (started
        now if it was not)."""
        self.start(kind)
        proc, out = self.runs[kind]
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        return code, (out / "log.txt").read_text()[-6000:], out / f"{kind}.json"

    def stop(self) -> None:
        for proc, _ in self.runs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _in_xdist_worker() -> bool:
    return os.environ.get("PYTEST_XDIST_WORKER") is not None


@pytest.fixture(scope="session")
def bench_smokes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The benches' smokes. In one process: every one a selected test reads (its module's `SMOKE`), started
    together with the session (see `_bench_smokes_start_first`), the tests that read them running last. In a
    pytest-xdist worker, which runs only some modules: each smoke when its module first reads it."""
    smokes = BenchSmokes(tmp_path_factory.mktemp("bench-smokes"))
    if not _in_xdist_worker():
        for item in request.session.items:
            if _reads_smokes(item) and hasattr(item, "module"):
                smokes.start(item.module.SMOKE)
    yield smokes
    smokes.stop()


@pytest.fixture(scope="session", autouse=True)
def _bench_smokes_start_first(request: pytest.FixtureRequest) -> None:
    """Starts the benches' smokes before the first test when the session will read them: they mostly wait on
    Ray's start, so they run beside the other tests instead of holding up the suite for 2-3 minutes."""
    if not _in_xdist_worker() and any(_reads_smokes(item) for item in request.session.items):
        request.getfixturevalue("bench_smokes")
