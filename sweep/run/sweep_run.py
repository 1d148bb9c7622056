"""One sweep as run: the spec merged with the run's options, built in one place (:meth:`SweepRun.of`).

Every fact a run needs that the spec and the options decide together has its home here: the base space
(`--tier` selection and `--set` holds applied to the spec's space), how many trials may run at once, the epoch
budget and the scheduler's milestones. `run_sweep`, `resume_sweep` and `refine_sweep` build it the same way,
so each honours the spec exactly as `sweep launch` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from search_spaces import Space, SweepSpec
from sweep.run.options import RunOptions
from sweep.store import schema as S

if TYPE_CHECKING:
    from sweep.store.layout import SweepDir


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
