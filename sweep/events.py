"""What a running sweep has to say, as typed events for an observer: the library never prints.

`run_sweep`, `resume_sweep`, `refine_sweep`, `retest` and `babysit` take ``observer=``, any callable that takes
an event; without one nothing is said. The `sweep` CLI passes its printer (:class:`sweep.cli.render.Printer`),
which turns each event into the terminal's lines; a notebook can pass its own (a progress widget) or
``events.append``. Events reach the observer from the driver process only (Ray Tune's callbacks and searcher
run there), in the order things happen.

Example:
    >>> from sweep import events as E
    >>> seen = []
    >>> E.emit(seen.append, E.RoundPlanned(number=1, samples=8))
    >>> E.emit(None, E.RoundPlanned(number=2, samples=8))  # no observer: nothing happens
    >>> [type(e).__name__ for e in seen]
    ['RoundPlanned']
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from search_spaces import SweepSpec
    from sweep.run.warm_start import WarmConfig
    from sweep.store.results import SweepResult


class Event:
    """The base of every event (``isinstance(e, Event)``)."""


Observer = Callable[[Event], None]


def emit(observer: Observer | None, event: Event) -> None:
    """Hands `event` to `observer`; nothing without one."""
    if observer is not None:
        observer(event)


def trusted(observer: Observer) -> Observer:
    """sweep's own observer (the CLI's printer), which :func:`guarded` leaves as it is: its exceptions end the run
    as any other would (a closed pipe ends the command as for all its output; a bug in it is reported)."""

    def tell(event: Event) -> None:
        observer(event)

    tell._guarded = True  # type: ignore[attr-defined]
    return tell


class ObserverWarning(UserWarning):
    """A run's observer raised: the run went on without it (:func:`guarded`)."""


def guarded(observer: Observer | None) -> Observer | None:
    """`observer` as a run calls it: the first exception it raises is one warning line, and it is told nothing
    more; the run goes on. A progress widget's bug (or a closed pipe under the CLI's printer) must not end a
    sweep of hours: what the observer was told is also on disk.

    Example:
        >>> seen = []
        >>> def widget(event):
        ...     seen.append(event)
        ...     raise ValueError("widget broke")
        >>> tell = guarded(widget)
        >>> with warnings.catch_warnings(record=True) as said:
        ...     tell(RoundPlanned(number=1, samples=8)); tell(RoundPlanned(number=2, samples=8))
        >>> len(seen), [str(w.message).split(": it is")[0] for w in said]
        (1, ['the observer raised ValueError: widget broke when told RoundPlanned'])
    """
    if observer is None or getattr(observer, "_guarded", False):
        return observer
    failed = False

    def tell(event: Event) -> None:
        nonlocal failed
        if failed:
            return
        try:
            observer(event)
        except Exception as err:  # the caller's code: said once, then left alone
            from sweep.run.trial_guard import one_line

            failed = True
            warnings.warn(
                f"the observer raised {one_line(err)} when told {type(event).__name__}: it is told nothing more, "
                "and the run goes on",
                ObserverWarning,
                stacklevel=2,
            )

    tell._guarded = True  # type: ignore[attr-defined]
    return tell


@contextmanager
def timed(observer: Observer | None, phase: str) -> Iterator[None]:
    """Tells `observer` a :class:`PhaseTimed` when the block ends (raising or not)."""
    started = time.time()
    try:
        yield
    finally:
        emit(observer, PhaseTimed(phase, started, time.time()))


@dataclass(frozen=True)
class PhaseTimed(Event):
    """One of the driver's phases ended: where a sweep's wall time went.

    Attributes:
        phase: ``ray_start`` (joining or starting Ray), ``rounds`` (the Tuner's trials), ``summary`` (the
            winner, sweep.json's summary; ``final_test``, the winner's test-split score, is inside it),
            ``ray_shutdown``, and last ``sweep``: from the command's start (``run_sweep``'s call) to Ray's
            shutdown.
        started, ended: `time.time()` at its start and end.
    """

    phase: str
    started: float
    ended: float


# --- a sweep (run, resume, refine) ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepStarted(Event):
    """Ray is up and the sweep directory is in use.

    Attributes:
        location: the sweep directory (or its URI).
        ray_note: which Ray runs the sweep, when that is worth saying (a cluster this process joined).
        dashboard: how to open Ray's dashboard (its URL and the token to paste), or ``dashboard: off``.
        ray_started_here: whether this process started the Ray it runs on (False: it joined one).
        cpus: the CPUs that Ray offers the sweep (all its nodes).
    """

    location: str
    ray_note: str | None = None
    dashboard: str = ""
    ray_started_here: bool = True
    cpus: float | None = None


@dataclass(frozen=True)
class WarmStartPlanned(Event):
    """`--warm-start`: round 1 re-trains an earlier sweep's best configs (each moved onto the new space)."""

    source: str
    configs: tuple[WarmConfig, ...]


@dataclass(frozen=True)
class RoundReplanned(Event):
    """Round 1's plan file was gone (deleted by hand): planned again from the spec, as it first was."""

    plan_file: str
    seed: int


@dataclass(frozen=True)
class DiskFullRequeued(Event):
    """The sweep had ended on a full disk: the rest of its plan runs afresh from the tables, and the trials that
    died of the full disk (`retrained`) train again."""

    retrained: int


@dataclass(frozen=True)
class RoundPlanned(Event):
    """A round's configs are planned (written to ``rounds/``) and start to be handed out.

    Attributes:
        number: the round; samples: its trials.
        stage: the tier a staged sweep tunes in it (None: not staged).
        regions: the round zooms around the best `regions` trials so far (0: the whole space).
        exploring: how many of its samples come from the whole (or the stage's) space again.
        guided: each trial is chosen by the model among draws from there.
        baseline: its first trial is the baseline (every parameter at its default).
        zoom: one line per parameter saying how its range moved from the previous round.
        proposer: the samples are proposed one by one by this sampler (``TPE (Optuna)``) instead.
    """

    number: int
    samples: int
    stage: int | None = None
    regions: int = 0
    exploring: int = 0
    guided: bool = False
    baseline: bool = False
    zoom: tuple[str, ...] = ()
    proposer: str | None = None


@dataclass(frozen=True)
class TrialEnded(Event):
    """A trial's row is in trials.csv.

    Attributes:
        status: its final status (``completed``, ``pruned``, ``error``, ``diverged``, ...).
        best: its best value of the sweep's metric (None: it reported none).
        error: what went wrong, for a trial that failed (its traceback is in ``trial-errors.log``).
        config: the config it trained.
    """

    plan_id: str
    trial_id: str
    round: int
    status: str
    epochs: int
    best: float | None = None
    error: str | None = None
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgressUpdated(Event):
    """The sweep's counts changed, or time passed (every result and every trial's end says so); :meth:`line`
    shows them (trials finished / running / pruned / failed, best so far, elapsed, ETA).

    Attributes:
        label: the newest round that has reported (``round 2``), or ``sweep`` before any report.
        since: when the sweep started (a ``time.time()`` stamp): the clock counts from there, not from the
            first result (with batched reports that can come most of the round later, or after a restart).
        deadline: when a time budget ends the sweep (a ``time.time()`` stamp); the line then counts down to
            it wherever it comes before the trials' own pace says they would all be done.
        final: the Tuner has ended: the last update of this run.

    Example:
        >>> p = ProgressUpdated("round 1", 8, "dev_accuracy", time.time() - 20, finished=8, running=1)
        >>> p.line().split(" | ")[0]
        'round 1: 8/8 done (0 pruned, 0 failed), 0 running'
    """

    label: str
    planned: int
    metric: str
    since: float
    finished: int = 0
    pruned: int = 0
    failed: int = 0
    running: int = 0
    best: float | None = None
    deadline: float | None = None
    final: bool = False

    def line(self) -> str:
        """The progress line: ``round 1: 3/8 done (1 pruned, 0 failed), 2 running | best ... | 12s, ~20s left``."""
        elapsed = max(0.0, time.time() - self.since)
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


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


@dataclass(frozen=True)
class Interrupted(Event):
    """Ctrl-C or SIGTERM stopped the sweep: its results so far stay, `sweep resume` goes on."""

    location: str


@dataclass(frozen=True)
class SweepSummary(Event):
    """The sweep's rounds are over and its winner scored (`result.state["summary"]`).

    Attributes:
        result: the sweep's tables, as `run_sweep` returns them.
        failure: the failure report when every trial ended badly (no winner); `run_sweep` then raises.
        spec: the spec as run (for :meth:`advice`).
    """

    result: SweepResult
    failure: str | None = None
    spec: SweepSpec | None = field(default=None, repr=False)

    def advice(self) -> list[str]:
        """The advisor's lines for the next sweep (computed on demand: they fit a model of the results)."""
        from sweep.analysis.advisor import advice_lines

        return advice_lines(self.result, self.spec)


# --- retest and babysit ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetestProgress(Event):
    """`done` of a retest's `total` runs have ended."""

    done: int
    total: int


@dataclass(frozen=True)
class EpochReported(Event):
    """Babysit: one epoch's metrics (its checkpoint and history row are written)."""

    metrics: dict[str, Any]


@dataclass(frozen=True)
class NudgeRejected(Event):
    """Babysit: a requested change the training loop refused, and why."""

    key: str
    value: Any
    reason: str


@dataclass(frozen=True)
class PauseRequested(Event):
    """Babysit: Ctrl-C: the epoch in progress finishes and is checkpointed, then the run stops."""
