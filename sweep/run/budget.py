"""A sweep's wall-clock budget (`--time-budget 10m`): parsing, and the clock that rounds and Ray share.

The budget counts the whole command, from `sweep launch` to the winner's score. Ray's trials get what is left
after Ray has started; rounds share what is left when the first trial reports (Ray's and the workers'
start-up is no round's) in proportion to their count: round k of K may start trials until k/K of it is
spent, then the next round is planned from what is known, so a short budget still zooms. When it runs out,
trials in flight are stopped and recorded as `stopped`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Budget:
    """Seconds of training time a sweep may still spend, counted while the driver runs.

    Like Ray's `TimeoutStopper`, the clock pauses while the driver is down (a resumed sweep goes on with the
    budget it had when the Tuner was built).

    Example:
        >>> b = Budget(60.0)
        >>> b.exhausted, 0.0 <= b.fraction_spent() < 0.01
        (False, True)
    """

    seconds: float
    spent: float = 0.0
    training_from: float | None = None  # `spent` when the first trial reported: rounds share what is left then
    _last: float | None = field(default=None, repr=False)

    def tick(self) -> None:
        now = time.monotonic()
        if self._last is not None:
            self.spent += now - self._last
        self._last = now

    def fraction_spent(self) -> float:
        self.tick()
        return min(self.spent / self.seconds, 1.0)

    @property
    def exhausted(self) -> bool:
        return self.fraction_spent() >= 1.0

    def training_started(self) -> None:
        """Notes the first trial's first report: Ray's and the workers' start-up is behind the rounds then."""
        if self.training_from is None:
            self.tick()
            self.training_from = self.spent

    def training_fraction(self) -> float:
        """How much of the time left at the first report is spent (0 before it)."""
        if self.training_from is None:
            return 0.0
        self.tick()
        window = self.seconds - self.training_from
        return 1.0 if window <= 0 else min((self.spent - self.training_from) / window, 1.0)

    def __getstate__(self) -> dict:
        return {"seconds": self.seconds, "spent": self.spent, "training_from": self.training_from, "_last": None}


def round_share_spent(budget: Budget | None, round_index: int, round_count: int) -> bool:
    """Whether round `round_index` (0-based) of `round_count` has used its share: k/K of the time that was left
    when the first trial reported (start-up is no round's), so a share a round leaves unused passes on.

    Example:
        >>> b = Budget(100.0, spent=70.0, training_from=20.0)
        >>> round_share_spent(b, 0, 2), round_share_spent(b, 1, 2)
        (True, False)
    """
    if budget is None:
        return False
    return budget.training_fraction() >= (round_index + 1) / round_count
