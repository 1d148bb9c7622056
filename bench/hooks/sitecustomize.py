"""Phase timings of a `sweep launch` driver, for the benchmark only: they add up to the process's wall.

The bench puts this directory on PYTHONPATH of the `sweep launch` subprocess with SWEEP_BENCH_PHASES set
to a file; Python imports `sitecustomize` at start-up. The phases are consecutive, from the process's start
(its age in /proc/self/stat against `time.time()`) to the exit handler that writes the file:

- interpreter: process start to this hook (the interpreter's own start-up and `site`);
- import_sweep: this hook's import of `sweep.run.launch`, `sweep.run.drive` and `sweep.winners.summary` (the CLI
  would import them anyway);
- cli: the rest of the CLI's imports, option parsing and spec loading, up to `run_sweep`;
- ray_init, rounds, finish, shutdown: sweep's phases (`connect`, `run_rounds`, `summary.finish`,
  `disconnect`), and run_sweep_other: what else `run_sweep` spent (preflight, the sweep directory, ...);
- exit: from `run_sweep`'s return to this hook's exit handler (the CLI's return, other exit handlers,
  Ray's included: this one is registered first, so it runs last).

Timers nested inside those (the winner's test-split retrain inside `finish`) go under "detail". The bench
subtracts the sum from the wall it measured: the remainder is the fork/exec before the interpreter and the
interpreter's teardown after the exit handlers. The variable is removed at once, so Ray's workers (children
of the driver) time nothing. Any failure here leaves the driver untouched: the bench then reports the phases
as missing. It also notes whether the driver started Ray itself (`ray_started_here`: False when it joined
the Ray `sweep up` keeps) and the CPUs that Ray offers, so the bench can check a warm run against a cold one.
"""

from __future__ import annotations

import os

_TARGET = os.environ.pop("SWEEP_BENCH_PHASES", None)

if _TARGET:
    try:
        import atexit
        import functools
        import json
        import time
        from collections.abc import Callable
        from typing import Any

        from bench.runners.common import process_started_at

        _hook_started = time.time()
        _clock: dict[str, float] = {"process_started_at": process_started_at(), "hook_started_at": _hook_started}
        _phases: dict[str, float] = {"interpreter": _hook_started - _clock["process_started_at"]}
        _detail: dict[str, float] = {}
        _facts: dict[str, Any] = {}
        _inner = ("ray_init", "rounds", "finish", "shutdown")

        def _timed(name: str, fn: Callable[..., Any], into: dict[str, float]) -> Callable[..., Any]:
            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                started = time.time()
                try:
                    return fn(*args, **kwargs)
                finally:
                    into[name] = into.get(name, 0.0) + time.time() - started

            return wrapper

        def _connect(fn: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                connection = fn(*args, **kwargs)
                _facts["ray_started_here"] = getattr(connection, "started_here", None)  # False: joined one
                try:
                    import ray

                    _facts["cluster_cpus"] = ray.cluster_resources().get("CPU")  # the warm Ray's too
                except Exception:  # noqa: BLE001
                    pass
                return connection

            return wrapper

        def _run_sweep(fn: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                started = time.time()
                _phases["cli"] = started - _clock["hook_ended_at"]
                try:
                    return fn(*args, **kwargs)
                finally:
                    _clock["run_sweep_ended_at"] = ended = time.time()
                    inner = sum(_phases.get(name, 0.0) for name in _inner)
                    _phases["run_sweep_other"] = ended - started - inner

            return wrapper

        import sweep.run.drive
        import sweep.run.launch
        import sweep.winners.summary

        for _name, _module, _attr in (
            ("ray_init", sweep.run.drive, "connect"),
            ("shutdown", sweep.run.drive, "disconnect"),
            ("rounds", sweep.run.drive, "run_rounds"),
            ("finish", sweep.winners.summary, "finish"),
        ):
            if hasattr(_module, _attr):
                setattr(_module, _attr, _timed(_name, getattr(_module, _attr), _phases))
        if hasattr(sweep.run.drive, "connect"):  # outside the timer: its one call to Ray is the bench's, not sweep's
            sweep.run.drive.connect = _connect(sweep.run.drive.connect)
        if hasattr(sweep.winners.summary, "evaluate_winner"):
            sweep.winners.summary.evaluate_winner = _timed("final_test", sweep.winners.summary.evaluate_winner, _detail)
        sweep.run.launch.run_sweep = _run_sweep(sweep.run.launch.run_sweep)
        _clock["hook_ended_at"] = time.time()
        _phases["import_sweep"] = _clock["hook_ended_at"] - _hook_started

        @atexit.register
        def _write() -> None:
            now = time.time()
            _clock["exit_handler_at"] = now
            if "run_sweep_ended_at" in _clock:
                _phases["exit"] = now - _clock["run_sweep_ended_at"]
            with open(_TARGET, "w") as handle:
                json.dump({"phases": _phases, "detail": _detail, "clock": _clock, **_facts}, handle)

    except Exception:  # noqa: BLE001 - timing must never break the driver
        pass
