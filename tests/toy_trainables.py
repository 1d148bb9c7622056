"""Plain Ray Tune function trainables for the run-loop tests: instant, with an optimum the tests know.

Workers import them as `tests.toy_trainables:NAME` (the driver's sys.path reaches workers of a local Ray).
"""

from __future__ import annotations

import math
import time

from ray import tune

SLOW_PLAN = "r1-003"  # the last config of a 4-trial round 1: it trains for seconds, the rest in a blink


def slow_last(config: dict) -> None:
    """Reports `dev_accuracy` peaking at x = 0.7; the plan `SLOW_PLAN` takes `slow_seconds` to train."""
    epochs = int(config.get("epochs", 2))
    seconds = float(config.get("slow_seconds", 4.0)) if config.get("plan_id") == SLOW_PLAN else 0.05
    for epoch in range(1, epochs + 1):
        time.sleep(seconds / epochs)
        tune.report({"epoch": epoch, "dev_accuracy": 1.0 - (float(config["x"]) - 0.7) ** 2})


def steady(config: dict) -> None:
    """Every trial takes `seconds`, in `epochs` reports (for interrupting a sweep part-way)."""
    epochs = int(config.get("epochs", 2))
    for epoch in range(1, epochs + 1):
        time.sleep(float(config.get("seconds", 1.0)) / epochs)
        tune.report({"epoch": epoch, "dev_accuracy": 1.0 - (float(config["x"]) - 0.7) ** 2})


def log_quadratic(config: dict) -> None:
    """One report: the best learning rate is 1e-2 (a quadratic in log10 lr)."""
    tune.report({"epoch": 1, "dev_accuracy": -((math.log10(float(config["lr"])) + 2.0) ** 2)})


def raises(config: dict) -> None:
    """Counts its calls in the file `calls` names, reports once, then raises its own bug."""
    with open(config["calls"], "a") as handle:
        handle.write(f"{config['plan_id']}\n")
    tune.report({"epoch": 1, "dev_accuracy": 0.5})
    raise ValueError(f"bad batch in {config['plan_id']}")


def goes_nan(config: dict) -> None:
    """A user's trainable whose loss blew up: a number, then NaN."""
    tune.report({"epoch": 1, "dev_accuracy": 0.4})
    tune.report({"epoch": 2, "dev_accuracy": float("nan")})


def hangs(config: dict) -> None:
    """Reports once, then hangs (a dead data loader, a deadlock): only a time limit ends it."""
    tune.report({"epoch": 1, "dev_accuracy": float(config["x"])})
    time.sleep(3600)


def fails_above(config: dict) -> None:
    """Trains, then raises for x above `fail_above`: the trainable's own bug, found only by running it."""
    x = float(config["x"])
    tune.report({"epoch": 1, "dev_accuracy": x})
    if x > float(config["fail_above"]):
        raise ValueError(f"x={x} is above {config['fail_above']}")
    tune.report({"epoch": 2, "dev_accuracy": x})
