"""Plain Ray Tune function trainables for the run-loop tests: instant, with an optimum the tests know.

Workers import them as `tests.toy_trainables:NAME` (the driver's sys.path reaches workers of a local Ray).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from ray import tune

SLOW_PLAN = "r1-003"  # the last config of a 4-trial round 1: it trains until round 2 has reported, the rest in a blink
ROUND_TWO_SIGNAL = "round-2-reported"  # the file a round-2 trial leaves in config["signals"] at its first report


def slow_last(config: dict) -> None:
    """Reports `dev_accuracy` peaking at x = 0.7. The plan `SLOW_PLAN` is round 1's straggler: it keeps training
    until a round-2 trial has reported (a file in config["signals"]), or `slow_seconds` (60) if none does, so a
    run loop that waits for it makes the test fail slowly rather than pass by a machine's speed."""
    signal = Path(str(config.get("signals", "."))) / ROUND_TWO_SIGNAL
    epochs = int(config.get("epochs", 2))
    if config.get("plan_id") == SLOW_PLAN:
        deadline = time.time() + float(config.get("slow_seconds", 60.0))
        while not signal.exists() and time.time() < deadline:
            time.sleep(0.05)
    for epoch in range(1, epochs + 1):
        time.sleep(0.025)
        tune.report({"epoch": epoch, "dev_accuracy": 1.0 - (float(config["x"]) - 0.7) ** 2})
        if str(config.get("plan_id", "")).startswith("r2-"):
            signal.touch()


GATE = "go"  # the file in config["signals"] that lets `gated` trials past round 1's first finish


def gated(config: dict) -> None:
    """Reports `dev_accuracy` peaking at x = 0.7. Every trial but round 1's first waits for the file `GATE` in
    config["signals"] (or `gate_seconds`, 60) before it reports, so a sweep interrupted after its first result
    has trials left to make whatever the machine's speed."""
    if config.get("plan_id") != "r1-000":
        gate, deadline = Path(str(config["signals"])) / GATE, time.time() + float(config.get("gate_seconds", 60.0))
        while not gate.exists() and time.time() < deadline:
            time.sleep(0.05)
    for epoch in range(1, int(config.get("epochs", 2)) + 1):
        tune.report({"epoch": epoch, "dev_accuracy": 1.0 - (float(config["x"]) - 0.7) ** 2})


def steady(config: dict) -> None:
    """Every trial takes `seconds`, in `epochs` reports (for interrupting a sweep part-way)."""
    epochs = int(config.get("epochs", 2))
    for epoch in range(1, epochs + 1):
        time.sleep(float(config.get("seconds", 1.0)) / epochs)
        tune.report({"epoch": epoch, "dev_accuracy": 1.0 - (float(config["x"]) - 0.7) ** 2})


TALK = "a trial's own output"  # what `talks` prints


def talks(config: dict) -> None:
    """Prints `TALK` on stdout and stderr as its trial starts, then trains like `steady`."""
    import sys

    print(TALK, config.get("plan_id"))
    print(TALK, config.get("plan_id"), file=sys.stderr)
    steady(config)


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


# --- the ways a user's trainable ends badly (tests/run/test_trial_deaths.py) ------------------------------------
def dies(config: dict) -> None:
    """Reports one epoch, then ends the way `config["how"]` names: raise, sys.exit, os._exit, SIGKILL of its own
    worker process, KeyboardInterrupt, or a MemoryError under a per-trial address-space cap (`cap_mb`)."""
    import os
    import signal
    import sys

    tune.report({"epoch": 1, "dev_accuracy": float(config["x"])})
    how = str(config["how"])
    if how == "raise":
        raise RuntimeError(f"broken in {config['plan_id']}")
    if how == "sys.exit":
        sys.exit(3)
    if how == "sys.exit0":
        sys.exit(0)
    if how == "os._exit":
        os._exit(0)
    if how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "keyboard":
        raise KeyboardInterrupt
    if how == "memory":
        _exhaust_memory(int(config.get("cap_mb", 256)))
    time.sleep(0.01)


def _exhaust_memory(cap_mb: int) -> None:
    """Allocates past a cap on this process's address space (RLIMIT_AS), restored afterwards: the worker is
    reused by the next trial."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as handle:
        used = int(handle.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + cap_mb * 2**20, hard))
    try:
        hoard = [bytearray(64 * 2**20) for _ in range(10_000)]
        del hoard
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def wrong_metric(config: dict) -> None:
    """Reports `val_acc` where the spec's metric is `dev_accuracy`."""
    for epoch in (1, 2):
        tune.report({"epoch": epoch, "val_acc": float(config["x"])})


def never_reports(config: dict) -> None:
    """Trains and returns without a single report."""
    time.sleep(0.01)


def returns_value(config: dict) -> dict:
    """Returns its metrics instead of reporting them (an old Ray API, or a plain function)."""
    return {"dev_accuracy": float(config["x"])}


def string_metric(config: dict) -> None:
    """Reports the metric as text."""
    tune.report({"epoch": 1, "dev_accuracy": f"{float(config['x']):.3f}"})


def timed(config: dict) -> None:
    """Trains for `seconds`, then appends its plan id and when it started and ended to the file `config["log"]`
    (one line a trial: the tests read which trials ran at once)."""
    started = time.time()
    time.sleep(float(config.get("seconds", 0.3)))
    tune.report({"epoch": 1, "dev_accuracy": 1.0 - (float(config["x"]) - 0.7) ** 2})
    with open(str(config["log"]), "a") as log:
        log.write(f"{config.get('plan_id')} {started} {time.time()}\n")


def gpu_probe(config: dict) -> None:
    """Picks its device the way the built-in trainables do, holds a tensor there for `seconds`, and appends
    `plan_id device gpu_ids start end` to `config["log"]` (the GPU tests read which trials shared a GPU)."""
    import ray
    import torch

    from trainables.session import pick_threads_and_device, ray_resources

    _, device = pick_threads_and_device(None, ray_resources())
    started = time.time()
    held = torch.ones(1024, 1024, device=device)
    time.sleep(float(config.get("seconds", 1.0)))
    total = float(held.sum().item())
    tune.report({"epoch": 1, "dev_accuracy": 1.0 - (float(config["x"]) - 0.7) ** 2, "held": total})
    gpus = ",".join(str(g) for g in ray.get_gpu_ids()) or "-"
    with open(str(config["log"]), "a") as log:
        log.write(f"{config.get('plan_id')} {device} {gpus} {started} {time.time()}\n")
