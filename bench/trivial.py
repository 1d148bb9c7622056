"""A trainable that does next to nothing, for the scale probe: what is left of a trial's wall is the
orchestration's. It reports `iterations` epochs with the same keys our trainable reports."""

from __future__ import annotations

import time
from typing import Any


def train(config: dict[str, Any]) -> None:
    from ray import tune

    seconds = 0.0
    for epoch in range(1, int(config.get("epochs", 3)) + 1):
        started = time.perf_counter()
        value = sum(i * i for i in range(100))  # near-zero work, but real work
        seconds += time.perf_counter() - started
        tune.report(
            {
                "epoch": epoch,
                "dev_accuracy": float(config.get("x", 0.0)),
                "train_seconds": seconds,
                "checksum": value,
            }
        )
