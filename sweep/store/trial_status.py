"""Pure decisions about a finished trial: its final status and the ASHA rung it reached."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sweep.store.schema import COMPLETED, DIVERGED, PRUNED


def asha_milestones(grace_period: int, reduction_factor: float, max_t: int) -> list[int]:
    """Epoch milestones of a one-bracket ASHA, ascending; the same formula as Ray's `_Bracket`.

    Example:
        >>> asha_milestones(1, 3, 27)
        [1, 3, 9, 27]
    """
    count = int(math.log(max_t / grace_period) / math.log(reduction_factor) + 1 + 1e-9)
    return [int(grace_period * reduction_factor**k) for k in range(count)]


def rung_reached(epochs: int, milestones: Sequence[int]) -> int | None:
    """The highest milestone a trial got to, or None before the first one."""
    passed = [m for m in milestones if epochs >= m]
    return passed[-1] if passed else None


def final_status(epochs: int, target_epochs: int, diverged: bool, prunes: bool) -> str:
    """`diverged` when the trainable said so; `pruned` when a pruning scheduler stopped it short."""
    if diverged:
        return DIVERGED
    if prunes and epochs < target_epochs:
        return PRUNED
    return COMPLETED


def is_better(value: float, than: float | None, mode: str) -> bool:
    """Whether `value` beats `than` for the sweep's mode; NaN never wins."""
    if value is None or math.isnan(value):
        return False
    if than is None or math.isnan(than):
        return True
    return value > than if mode == "max" else value < than
