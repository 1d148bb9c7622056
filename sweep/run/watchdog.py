"""The driver's watchdog: a sweep in which nothing runs and nothing new starts ends instead of waiting forever.

Ray asks the searcher for a trial at every step of its loop; the searcher may answer "ask again later" while
it waits on the evidence of trials that are still training. With no trial pending, running or paused, Ray
stops stepping and asks the searcher once a second for up to 600 s, calling no callback and heeding no Ctrl-C.
If nothing is live and the searcher has offered nothing for :data:`STALL_SECONDS`, nothing can ever change its
answer: the watchdog, which watches Ray's steps as a callback, ends the experiment through the searcher (a
:class:`WatchedSearcher` answers "finished") and as a stopper (``stop_all``); the driver reports the stall in
one line, with the sweep left ``interrupted``. In a healthy sweep that state lasts one step of Ray's loop
(a fraction of a second): the searcher plans the next round at the first request that would leave a core idle.

Example:
    >>> clock = iter([0.0, 10.0, 70.0, 71.0]).__next__
    >>> stall = Stall(60.0, clock)
    >>> stall.observe(live=0), stall.observe(live=0), stall.observe(live=0)
    (False, False, True)
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from ray.tune import Callback
from ray.tune.search import Searcher

from sweep.run.stoppers import SweepStop
from sweep_errors import SweepError

# The bound: seconds with no trial pending, running or paused and no new trial offered before the sweep ends.
STALL_SECONDS = 60.0
LIVE = frozenset({"PENDING", "RUNNING", "PAUSED"})


class SweepStalled(SweepError):
    """Nothing ran and the searcher offered nothing for the watchdog's bound."""

    exit_code = 1  # the sweep's run ended badly; not a usage mistake


class Stall:
    """Pure logic: how long there has been nothing live, and whether that is past the bound."""

    def __init__(self, bound: float = STALL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.bound = bound
        self.clock = clock
        self.idle_since: float | None = None

    def observe(self, live: int) -> bool:
        """Notes how many trials are live now; True once none has been for `bound` seconds."""
        now = self.clock()
        if live:
            self.idle_since = None
            return False
        if self.idle_since is None:
            self.idle_since = now
        return now - self.idle_since >= self.bound

    def expired(self) -> bool:
        """Whether nothing has been live for `bound` seconds, as last observed (no new observation)."""
        return self.idle_since is not None and self.clock() - self.idle_since >= self.bound


class Watchdog(Callback, SweepStop):
    """Watches Ray's loop (a callback: the trials at each step) and stops the experiment (a stopper) on a stall."""

    def __init__(self, bound: float = STALL_SECONDS) -> None:
        self.stall = Stall(bound)
        self.statuses: dict[str, int] = {}

    def on_step_end(self, iteration: int, trials: list[Any], **info: Any) -> None:
        if self.fired:
            return
        self.statuses = dict(Counter(str(trial.status) for trial in trials))
        self.fired = self.stall.observe(sum(n for status, n in self.statuses.items() if status in LIVE))

    def offered(self) -> None:
        """The searcher offered a trial: it will be pending, so the sweep is not idle."""
        self.stall.observe(1)

    def expired(self) -> bool:
        """Asked by the searcher's wrapper while Ray waits for a trial: fires once the bound is past."""
        self.fired = self.fired or self.stall.expired()
        return self.fired

    def diagnosis(self, location: str, waiting: str) -> str:
        """The one line the driver prints when the watchdog fired."""
        seen = ", ".join(f"{n} {status.lower()}" for status, n in sorted(self.statuses.items())) or "no trials"
        return (
            f"the sweep stalled: no trial ran and none was offered for {self.stall.bound:.0f} s ({seen}; {waiting}); "
            f"the results so far are in {location}; start the rest of the plan afresh from the tables with: "
            f"sweep resume {location} --fresh"
        )


class WatchedSearcher(Searcher):
    """The sweep's searcher, answering "finished" once the watchdog says the sweep stalled (Ray's wait for a
    trial while nothing runs calls only the searcher). Everything else goes to the searcher it wraps, which
    Ray saves and restores as the base searcher (this wrapper has no state of its own)."""

    def __init__(self, searcher: Searcher, watchdog: Watchdog) -> None:
        super().__init__(metric=searcher.metric, mode=searcher.mode)
        self.searcher = searcher
        self.watchdog = watchdog

    def set_search_properties(self, metric: str | None, mode: str | None, config: dict, **spec: Any) -> bool:
        return self.searcher.set_search_properties(metric, mode, config, **spec)

    def suggest(self, trial_id: str) -> Any:
        config = self.searcher.suggest(trial_id)
        if config is None and self.watchdog.expired():
            return Searcher.FINISHED
        if config is not None and config != Searcher.FINISHED:
            self.watchdog.offered()
        return config

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        self.searcher.on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        self.searcher.on_trial_complete(trial_id, result=result, error=error)

    def get_state(self) -> dict:
        return {}

    def set_state(self, state: dict) -> None:
        pass
