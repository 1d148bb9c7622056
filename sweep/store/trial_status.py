"""Pure decisions about a finished trial: its final status (the one function that decides it) and its rung."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sweep.store.schema import COMPLETED, DIVERGED, ERRORED, PRUNED, STOPPED, TIMEOUT


def rung_reached(epochs: int, milestones: Sequence[int]) -> int | None:
    """The highest milestone a trial got to, or None before the first one."""
    passed = [m for m in milestones if epochs >= m]
    return passed[-1] if passed else None


def target_epochs(config: Mapping[str, Any], max_t: int | None) -> int | None:
    """The epochs a trial set out to train: its config's `epochs`, capped by the scheduler's max_t.

    Example:
        >>> target_epochs({"epochs": 30}, 10), target_epochs({}, 10), target_epochs({"epochs": 5}, None)
        (10, 10, 5)
    """
    budget = config.get("epochs", max_t)
    if budget is None:
        return None
    return min(int(budget), max_t) if max_t else int(budget)


def final_status(
    epochs: int,
    target_epochs: int | None,
    diverged: bool,
    prunes: bool,
    *,
    error: bool = False,
    timed_out: bool = False,
    budget_spent: bool = False,
) -> str:
    """The one decision of a trial's final status, in this order: `error` when it raised or its worker died;
    `timeout` past the spec's per-trial limit; `stopped` when the sweep's time budget ended it short of its
    target; `diverged` when its metric went non-finite or the trainable said so; `pruned` when a pruning
    scheduler (or early stopping) stopped it short; else `completed`.

    Example:
        >>> final_status(3, 10, False, True), final_status(3, 10, False, True, budget_spent=True)
        ('pruned', 'stopped')
    """
    short = target_epochs is not None and epochs < target_epochs
    if error:
        return ERRORED
    if timed_out:
        return TIMEOUT
    if short and budget_spent:
        return STOPPED
    if diverged:
        return DIVERGED
    if prunes and short:
        return PRUNED
    return COMPLETED
