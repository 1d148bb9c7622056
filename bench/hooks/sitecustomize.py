"""Phase timings of a `sweep launch` driver, for the benchmark only: they add up to the process's wall.

The bench puts this directory on PYTHONPATH of the `sweep launch` subprocess with SWEEP_BENCH_PHASES set
to a file; Python imports `sitecustomize` at start-up. The phases are consecutive, from the process's start
(its age in /proc/self/stat against `time.time()`) to the exit handler that writes the file:

- interpreter: process start to this hook (the interpreter's own start-up and `site`);
- import_sweep: this hook's import of the modules it wraps (the CLI would import them anyway);
- cli: the rest of the CLI's imports, option parsing and spec loading, up to `run_sweep`;
- ray_init, rounds, finish, shutdown: sweep's phases (`connect`, `run_rounds`, `summary.finish`,
  `disconnect`), and run_sweep_other: what else `run_sweep` spent (preflight, the sweep directory, ...);
- exit: from `run_sweep`'s return to this hook's exit handler (the CLI's return, other exit handlers,
  Ray's included: this one is registered first, so it runs last).

sweep records its own coarser phases (`summary.phases` in sweep.json: start, trials, summary), not where Ray's
start, its shutdown or the CLI's start-up and exit went: those need these wrappers. They name sweep's
functions (WRAPPED); when one is missing (renamed), the hook writes the error to the file instead of the
timings, and the bench fails that run with it: never a silent run without timings. Timers nested inside those
(the winner's test-split retrain inside `finish`) go under "detail". The variable is removed at once, so
Ray's workers (children of the driver) time nothing. It also notes whether the driver started Ray itself
(`ray_started_here`: False when it joined the Ray `sweep up` keeps) and the CPUs that Ray offers, so the bench
can check a warm run against a cold one.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import os
import time
from collections.abc import Callable
from typing import Any

# (phase, module, function): what the bench times, and where in sweep it lives
WRAPPED = (
    ("ray_init", "sweep.run.driver_loop", "connect"),
    ("shutdown", "sweep.run.driver_loop", "disconnect"),
    ("rounds", "sweep.run.driver_loop", "run_rounds"),
    ("finish", "sweep.winners.summary", "finish"),
    ("final_test", "sweep.winners.summary", "evaluate_winner"),  # nested in finish: a detail
    ("run_sweep", "sweep.run.launch", "run_sweep"),
)
DETAIL = {"final_test"}


def resolve(wrapped: tuple[tuple[str, str, str], ...] = WRAPPED) -> dict[str, tuple[Any, str]]:
    """Phase → (module, attribute) of each wrapped function; an AttributeError naming the one that is gone."""
    found = {}
    for phase, module_name, attr in wrapped:
        module = importlib.import_module(module_name)
        if not callable(getattr(module, attr, None)):
            raise AttributeError(
                f"bench timing hook: {module_name}.{attr} is gone (renamed?): update WRAPPED in {__file__}"
            )
        found[phase] = (module, attr)
    return found


def install(target: str, wrapped: tuple[tuple[str, str, str], ...] = WRAPPED) -> None:
    """Wraps sweep's phases and registers the exit handler that writes the timings to `target`; when that
    fails, writes the error there instead and raises it (Python reports it and runs the driver on)."""
    clock = {"hook_started_at": time.time()}
    try:
        _install(target, clock, wrapped)
    except Exception as err:
        with open(target, "w") as handle:
            json.dump({"error": f"{type(err).__name__}: {err}"}, handle)
        raise


def _install(target: str, clock: dict[str, float], wrapped: tuple[tuple[str, str, str], ...]) -> None:
    from bench.job import process_started_at

    clock["process_started_at"] = process_started_at()
    phases: dict[str, float] = {"interpreter": clock["hook_started_at"] - clock["process_started_at"]}
    detail: dict[str, float] = {}
    facts: dict[str, Any] = {}

    def timed(phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        into = detail if phase in DETAIL else phases

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.time()
            if phase == "run_sweep":
                phases["cli"] = started - clock["hook_ended_at"]
            try:
                result = fn(*args, **kwargs)
            finally:
                ended = time.time()
                if phase == "run_sweep":
                    clock["run_sweep_ended_at"] = ended
                    inner = sum(phases.get(name, 0.0) for name in ("ray_init", "rounds", "finish", "shutdown"))
                    phases["run_sweep_other"] = ended - started - inner
                else:
                    into[phase] = into.get(phase, 0.0) + ended - started
            if phase == "ray_init":  # outside its timer: this one call to Ray is the bench's, not sweep's
                facts["ray_started_here"] = result.started_here  # False: it joined a running Ray
                import ray

                facts["cluster_cpus"] = ray.cluster_resources().get("CPU")  # the warm Ray's too
            return result

        return wrapper

    for phase, (module, attr) in resolve(wrapped).items():
        setattr(module, attr, timed(phase, getattr(module, attr)))
    clock["hook_ended_at"] = time.time()
    phases["import_sweep"] = clock["hook_ended_at"] - clock["hook_started_at"]

    @atexit.register
    def _write() -> None:
        clock["exit_handler_at"] = now = time.time()
        if "run_sweep_ended_at" in clock:
            phases["exit"] = now - clock["run_sweep_ended_at"]
        with open(target, "w") as handle:
            json.dump({"phases": phases, "detail": detail, "clock": clock, **facts}, handle)


_TARGET = os.environ.pop("SWEEP_BENCH_PHASES", None)
if _TARGET:
    install(_TARGET)
