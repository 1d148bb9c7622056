"""The live progress line: trials finished / running / pruned / failed, best so far, elapsed, ETA.

The recorder keeps the counts and tells them as :class:`~sweep.events.ProgressUpdated` events; the CLI prints
the line (:class:`sweep.cli.render.Printer`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sweep.events import ProgressUpdated


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


@dataclass
class Progress:
    """Counts for the sweep's trials, and the line that shows them.

    Attributes:
        deadline: when a time budget ends the sweep (a ``time.time()`` stamp); the line then counts down to it
            wherever it comes before the trials' own pace says they would all be done.
        since: the round's start as a ``time.time()`` stamp. Give it whenever the line is built after the
            round began (a recorder creates it at the first result, which with batched reports can be most
            of the round later, or after a restart); without it the clock starts when this object is made.

    Example:
        >>> p = Progress(8, "round 1", "dev_accuracy", since=time.time() - 20, finished=8, running=1)
        >>> p.line().split(" | ")[0]
        'round 1: 8/8 done (0 pruned, 0 failed), 0 running'
    """

    planned: int
    label: str
    metric: str
    finished: int = 0
    pruned: int = 0
    failed: int = 0
    running: int = 0
    best: float | None = None
    since: float | None = None
    deadline: float | None = None
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        """Seconds since the round started (`since`), else since this object was made."""
        if self.since is not None:
            return max(0.0, time.time() - self.since)
        return time.monotonic() - self.started

    def line(self) -> str:
        elapsed = self.elapsed()
        # Ray marks a trial TERMINATED only after its completion callbacks: a finished trial can still be
        # counted as running, so never show more running than remain unfinished.
        running = min(self.running, max(self.planned - self.finished, 0))
        eta, pace_left = "", None
        if 0 < self.finished < self.planned:
            pace_left = elapsed / self.finished * (self.planned - self.finished)
            eta = f", ~{format_seconds(pace_left)} left"
        budget_left = None if self.deadline is None else self.deadline - time.time()
        # A budget that ends the sweep before the trials' pace would is what to count down to; a deadline
        # already passed belongs to an earlier run (a resumed sweep's budget starts afresh).
        if self.finished < self.planned and budget_left is not None and budget_left > 0:
            if pace_left is None or budget_left < pace_left:
                eta = f", {format_seconds(budget_left)} left of the time budget"
        best = "-" if self.best is None else f"{self.best:.4f}"
        return (
            f"{self.label}: {self.finished}/{self.planned} done "
            f"({self.pruned} pruned, {self.failed} failed), "
            f"{running} running | best {self.metric} {best} | {format_seconds(elapsed)}{eta}"
        )

    def event(self, final: bool = False) -> ProgressUpdated:
        """The counts as an event (`final`: the last of the run)."""
        from sweep.events import ProgressUpdated

        counts = {k: v for k, v in vars(self).items() if k not in ("started", "since")}
        since = self.since if self.since is not None else time.time() - self.elapsed()
        return ProgressUpdated(**counts, since=since, final=final)
