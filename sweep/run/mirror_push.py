"""Copies a URI-stored sweep's tables to its URI while its trials run, not only when its rounds end.

The driver appends results to its local mirror; the rounds of a sweep run in one Tuner, so before this the URI
got its first `sweep.json` and tables only when every round had ended (or the sweep stopped). While a long
sweep ran, `sweep show URI` or `sweep ls` from another machine found no sweep there, and a driver machine lost
mid-sweep left the URI with Ray's checkpoints but no tables to resume from. Now the mirror goes up when the
Tuner starts and then at most every `PUSH_EVERY_S` as results arrive; a copy that fails (a network blip) is
tried again at the next result, and the sweep goes on.

It also goes up inside each of Ray's experiment snapshots, before Ray uploads the snapshot, whenever a trial
has been recorded since the last copy: a resume from the URI must never find Ray's state knowing of a finished
trial that the URI's tables lack (Ray would not run it again, and the sweep would wait for its row forever).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ray.tune import Callback

from sweep.store.layout import SweepDir

PUSH_EVERY_S = 30.0  # how far behind the driver the URI may be: a few small files a copy


class MirrorPush(Callback):
    """Pushes `directory`'s small files to its URI at the Tuner's start and at most every `every` seconds."""

    def __init__(self, directory: SweepDir, every: float = PUSH_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.directory, self.every, self.clock = directory, every, clock
        self.pushed_at: float | None = None
        self.recorded_at_push: tuple[tuple[int, int] | None, ...] = ()

    def __getstate__(self) -> dict[str, Any]:  # a Tuner pickles its callbacks
        return {**self.__dict__, "clock": None, "pushed_at": None, "recorded_at_push": ()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.clock = time.monotonic

    def setup(self, stop: Any = None, num_samples: Any = None, total_num_samples: Any = None, **info: Any) -> None:
        self.push()

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
        self.push_if_due()

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.push_if_due()

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.push_if_due()

    def get_state(self) -> dict | None:
        """Called inside Ray's experiment snapshot, before its upload: the tables go up first if they changed."""
        if self._recorded() != self.recorded_at_push:
            self.push()
        return None  # no state of its own: Ray writes no file for it

    def _recorded(self) -> tuple[tuple[int, int] | None, ...]:
        """What the tables' files look like now (modified time, size), to tell whether a trial was recorded."""
        stats: list[tuple[int, int] | None] = []
        for path in (self.directory.trials_csv, self.directory.state.path):
            try:
                info = path.stat()
                stats.append((info.st_mtime_ns, info.st_size))
            except OSError:
                stats.append(None)
        return tuple(stats)

    def push_if_due(self) -> None:
        if self.pushed_at is None or self.clock() - self.pushed_at >= self.every:
            self.push()

    def push(self) -> None:
        recorded = self._recorded()
        try:
            self.directory.sync()
        except OSError:  # pyarrow's filesystems raise OSError; the next result tries again, the end syncs anyway
            return
        self.pushed_at, self.recorded_at_push = self.clock(), recorded
