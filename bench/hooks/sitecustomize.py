"""Phase timings of a `sweep launch` driver, for the benchmark only.

The bench puts this directory on PYTHONPATH of the `sweep launch` subprocess with SWEEP_BENCH_PHASES set
to a file; Python imports `sitecustomize` at start-up, and this wraps sweep's phases (Ray start, the
sweep's fit, the summary with its test-split retrain, Ray shutdown) with timers and writes them at exit.
The variable is removed at once, so Ray's workers (children of the driver) time nothing. Any failure here
leaves the driver untouched: the bench then reports the phases as missing.
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

        _phases: dict[str, float] = {"python_start_to_hook": time.time()}

        def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    _phases[name] = _phases.get(name, 0.0) + time.perf_counter() - started

            return wrapper

        import sweep.api
        import sweep.summary

        _phases["import_sweep"] = time.time() - _phases.pop("python_start_to_hook")
        sweep.api.connect = _timed("ray_init", sweep.api.connect)
        sweep.api.disconnect = _timed("shutdown", sweep.api.disconnect)
        sweep.api._run_rounds = _timed("rounds", sweep.api._run_rounds)
        sweep.summary.finish = _timed("finish", sweep.summary.finish)
        if hasattr(sweep.summary, "evaluate_winner"):
            sweep.summary.evaluate_winner = _timed("final_test", sweep.summary.evaluate_winner)

        @atexit.register
        def _write() -> None:
            with open(_TARGET, "w") as handle:
                json.dump(_phases, handle)

    except Exception:  # noqa: BLE001 - timing must never break the driver
        pass
