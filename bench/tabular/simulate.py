"""One method's run on one table: `workers` simulated workers, results back in the order their trainings end.

A suggestion is made while `workers − 1` trials are pending; each evaluation reads one of the config's stored
training seeds at random (the noise is the table's own), and takes that run's stored training time, so a slow
config comes back late as it would on a cluster. The incumbent after each result is the config with the best
observed (noisy) value so far, as a tool's user picks it; it is scored by its noise-free value (the mean over
the stored seeds).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from bench.tabular.methods import Asker
from bench.tabular.tasks import Table


@dataclass
class Run:
    """What one run saw: per evaluation (in completion order) the observed value, the config's row, and the
    incumbent's regret after it."""

    observed: list[float]
    rows: list[int]
    regret: list[float]


def simulate(table: Table, asker: Asker, budget: int, workers: int, seed: int) -> Run:
    """Runs `asker` for exactly `budget` evaluations (fewer only if its plan ends early)."""
    rng = np.random.default_rng(seed + 7919)
    pending: list[tuple[float, int, object, int, int]] = []  # (end time, order, handle, row, stored seed)
    asked = 0
    clock = 0.0

    def fill() -> None:
        nonlocal asked
        while asked < budget and len(pending) < workers:
            got = asker.ask()
            if got is None:
                return
            handle, config = got
            row = table.index(table.snap(config))
            stored = int(rng.integers(table.readings.shape[1]))
            heapq.heappush(pending, (clock + float(table.durations[row, stored]), asked, handle, row, stored))
            asked += 1

    run = Run([], [], [])
    means = table.means
    sign = 1.0 if table.mode == "max" else -1.0
    best_seen, incumbent = -np.inf, -1
    fill()
    while pending:
        clock, _, handle, row, stored = heapq.heappop(pending)
        value = float(table.readings[row, stored])
        asker.tell(handle, value)
        if sign * value > best_seen:
            best_seen, incumbent = sign * value, row
        run.observed.append(value)
        run.rows.append(row)
        run.regret.append(table.regret(float(means[incumbent])))
        fill()
    return run
