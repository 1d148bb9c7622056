"""One sweep as run: the spec merged with the run's options (:class:`RunOptions`: what is not part of the spec:
where results go, which Ray, how it runs), built in one place (:meth:`SweepRun.of`).

Every fact a run needs that the spec and the options decide together has its home here: the base space
(`--tier` selection and `--set` holds applied to the spec's space), how many trials may run at once, the epoch
budget and the scheduler's milestones. `run_sweep`, `resume_sweep` and `refine_sweep` build it the same way,
so each honours the spec exactly as `sweep launch` does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from search_spaces import Space, SweepSpec
from sweep.store import schema as S

if TYPE_CHECKING:
    from sweep.store.layout import SweepDir


@dataclass(frozen=True)
class RunOptions:
    """Settings of one `sweep launch` (or resume/refine), built once at the edge.

    Attributes:
        storage: directory (or s3://, gs://, file:// URI) under which the sweep directory is created.
        cache_dir: where the driver keeps its local mirrors of sweeps stored at a URI (None: the cache home,
            :func:`trainables.cache_home.cache_home`).
        address: a Ray cluster (`auto`, `HOST:PORT`, `ray://HOST:PORT`); None starts a local Ray.
        cpus: size of the local Ray (None: all cores).
        max_concurrent: at most this many trials at once, over the spec's `max_concurrent` (None: the spec's).
        fail_fast: stop the sweep at the first trial error.
        quiet: `--quiet`, as recorded in sweep.json; the library prints nothing either way (what is printed is
            the CLI's, :class:`sweep.cli.render.Printer`, from the events it is told).
        staged: tune tier by tier (tier 1, then tier 2 with tier 1 held at its best, ...).
        tiers: sample only these tiers; the rest are held at their defaults.
        holds: `--set key=value` pairs: parameters held at a value.
        dashboard: start Ray's dashboard with a local Ray.
        final_test: evaluate the winning config once on the held-out test split.
        warm_start: an earlier sweep's directory whose best configs round 1 re-trains (`--warm-start`).
        warm_top: how many of them.
        stall_seconds: the watchdog's bound: with no trial live and none offered this long, the sweep ends.
    """

    storage: str = "sweeps"
    cache_dir: str | None = None
    address: str | None = None
    cpus: int | None = None
    max_concurrent: int | None = None
    fail_fast: bool = False
    quiet: bool = False
    staged: bool = False
    tiers: tuple[int, ...] = ()
    holds: tuple[tuple[str, Any], ...] = field(default_factory=tuple)
    dashboard: bool = True
    final_test: bool = True
    warm_start: str | None = None
    warm_top: int = 3
    stall_seconds: float = 60.0

    @property
    def cache(self) -> Path | None:
        """`cache_dir` as a path (None: the cache home)."""
        return Path(self.cache_dir) if self.cache_dir else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RunOptions:
        data = dict(data)
        data["tiers"] = tuple(data.get("tiers", ()))
        data["holds"] = tuple(tuple(pair) for pair in data.get("holds", ()))
        return RunOptions(**data)


@dataclass(frozen=True)
class SweepRun:
    """The spec as run and the options it runs under; derived facts are properties, computed once."""

    spec: SweepSpec
    options: RunOptions

    @staticmethod
    def of(spec: SweepSpec, options: RunOptions | None = None) -> SweepRun:
        """The run of `spec` under `options`; a one-line SpecError when the two do not fit together."""
        run = SweepRun(spec, options or RunOptions())
        run.space  # noqa: B018  (checked now, before a directory is made or Ray starts)
        return run

    @staticmethod
    def read(directory: SweepDir, options: RunOptions) -> SweepRun:
        """The run of a sweep directory: the spec it recorded, under `options`."""
        return SweepRun.of(directory.read_spec(), options)

    @cached_property
    def space(self) -> Space:
        """The spec's space with `--tier` selection and `--set` holds applied (the base of every round)."""
        space = self.spec.space
        if self.options.tiers:
            space = space.select_tiers(set(self.options.tiers))
        for name, value in self.options.holds:
            space = space.hold(name, value)
        S.check_not_reserved(space.names)
        return space

    @property
    def max_concurrent(self) -> int | None:
        """At most this many trials at once: `--max-concurrent` on resume, else the spec's `max_concurrent`."""
        given = self.options.max_concurrent
        return given if given is not None else self.spec.max_concurrent

    @cached_property
    def max_t(self) -> int:
        """The epochs one trial trains at most."""
        from sweep.run.rounds import sweep_max_epochs

        return sweep_max_epochs(self.spec, self.space)

    @cached_property
    def milestones(self) -> tuple[int, ...]:
        """The epochs where the sweep's scheduler may stop a trial (ASHA's rungs); empty when it never does."""
        from sweep.schedulers import get_scheduler

        return tuple(get_scheduler(self.spec.scheduler.type).milestones(self.spec.scheduler, self.max_t))
