"""One method's run on one table: `workers` simulated workers, results back in the order their trainings end.

A suggestion is made while `workers − 1` trials are pending; each evaluation reads one of the config's stored
training seeds at random (the noise is the table's own), and takes that run's stored training time, so a slow
config comes back late as it would on a cluster. The incumbent after each result is the config with the best
observed (noisy) value so far, as a tool's user picks it; it is scored by its noise-free value (the mean over
the stored seeds).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from bench.tabular.methods import Asker
from bench.tabular.tasks import Table


@dataclass
class Run:
    """What one run saw: per evaluation (in completion order) the observed value, the config's row, and the
    incumbent's regret after it; and every ask, in ask order, as (end time, order, row, stored seed)."""

    observed: list[float]
    rows: list[int]
    regret: list[float]
    asks: list[tuple[float, int, int, int]] = field(default_factory=list)


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
            end = clock + float(table.durations[row, stored])
            heapq.heappush(pending, (end, asked, handle, row, stored))
            run.asks.append((end, asked, row, stored))
            asked += 1

    run = Run([], [], [])
    fill()
    while pending:
        clock, _, handle, row, stored = heapq.heappop(pending)
        value = float(table.readings[row, stored])
        asker.tell(handle, value)
        run.observed.append(value)
        run.rows.append(row)
        fill()
    return _scored(table, run)


def cut(table: Table, run: Run, budget: int) -> Run:
    """The run that the same method would have made with the smaller `budget`, read off a longer `run`.

    Valid for a method whose asks do not depend on its budget (Optuna's samplers, HyperOpt): up to its
    `budget`-th ask, the shorter run makes the same asks at the same simulated times, told the same results in
    the same order (a config is asked while `workers − 1` are pending, and every earlier ask is one of its own),
    and draws the same stored seeds (one per ask, in ask order). Then it only waits for its pending trials: its
    evaluations are its first `budget` asks in the order they end.
    """
    if budget > len(run.asks):
        raise ValueError(f"cut: the run made {len(run.asks)} asks, fewer than the budget {budget}")
    shorter = Run([], [], [], run.asks[:budget])
    for _, _, row, stored in sorted(shorter.asks):
        shorter.observed.append(float(table.readings[row, stored]))
        shorter.rows.append(row)
    return _scored(table, shorter)


def _scored(table: Table, run: Run) -> Run:
    """`run` with its regrets: after each evaluation, the incumbent's (the best observed value so far, the first of
    equals) noise-free regret."""
    means, sign = table.means, 1.0 if table.mode == "max" else -1.0
    best_seen, incumbent = -np.inf, -1
    for value, row in zip(run.observed, run.rows, strict=True):
        if sign * value > best_seen:
            best_seen, incumbent = sign * value, row
        run.regret.append(table.regret(float(means[incumbent])))
    return run
