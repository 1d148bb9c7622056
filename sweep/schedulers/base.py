"""What one trial scheduler plugs into a sweep: :class:`SchedulerPlugin`, subclassed once per module.

The sweep asks its scheduler six things: Ray's scheduler object, the epochs where it may stop a trial (its
milestones), whether trials may batch reports between them, how its winner is scored, which sweeps it refuses,
and a one-line description. One answer per module, so the tuner, the summary, analysis and ``sweep validate``
never branch on a scheduler's name. A scheduler's YAML keys are its settings dataclass in
:mod:`search_spaces.scheduler_spec` (why there and not here: see that module).

Nothing here imports Ray: only :meth:`SchedulerPlugin.make` does, so ``sweep validate`` and planning stay fast.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from search_spaces import Space, SpecError, SweepSpec
from search_spaces.scheduler_spec import SchedulerSettings, SchedulerSpec

if TYPE_CHECKING:
    from ray.tune.schedulers import TrialScheduler

S = TypeVar("S", bound=SchedulerSettings)


@dataclass(frozen=True)
class RayContext:
    """What building Ray's scheduler object may use.

    Metric and mode are not here: Ray refuses them in both the scheduler and `TuneConfig`, and Tune hands them
    to the scheduler through ``set_search_properties`` (a test driving one by hand does the same).
    """

    spec: SweepSpec
    max_t: int  # the sweep's epoch budget (``sweep.run.rounds.sweep_max_epochs``)
    time_attr: str  # "epoch" when trials batch reports (a report then carries its last epoch), else one per epoch
    space: Space  # the sweep's base space: tier selection and `--set` holds applied
    sweep_root: str | None = None  # the sweep's directory, for a scheduler's own records; None: keep none


class SchedulerPlugin(ABC, Generic[S]):
    """One trial scheduler, as the sweep uses it. Subclasses set the class attributes and :meth:`make`.

    Attributes:
        name: the ``scheduler.type`` it answers to.
        settings_type: its settings dataclass (its YAML keys, checked when the spec is parsed).
        batches_reports: the report policy: whether a built-in trainable may batch epochs into one report between
            milestones (Ray's per-report cost dominates short epochs). False when it decides on every epoch.
        retrains_winner: how the winner is scored when its final checkpoint is missing or past its best epoch:
            True retrains its config; False scores the checkpoint only (PBT: a config changed mid-run does not
            reproduce the model).
    """

    name: ClassVar[str]
    settings_type: type[S]
    batches_reports: ClassVar[bool] = True
    retrains_winner: ClassVar[bool] = True

    def settings(self, spec: SchedulerSpec) -> S:
        """The spec's settings as this scheduler's own dataclass."""
        if spec.type != self.name or not isinstance(spec.settings, self.settings_type):
            raise SpecError(f"scheduler.type: {spec.type} is not {self.name}: use get_scheduler({spec.type!r})")
        return spec.settings

    @abstractmethod
    def make(self, context: RayContext) -> TrialScheduler:
        """Ray's scheduler object for one sweep (every round shares it)."""

    def milestones(self, spec: SchedulerSpec, max_t: int) -> tuple[int, ...]:
        """The epochs (ascending, within `max_t`) at which it may stop a trial short; empty when it never does.

        Batching trials report at these; the recorder marks a trial stopped short as ``pruned`` and notes the
        highest one it reached (the ``rung`` column).
        """
        return ()

    def prunes(self, spec: SchedulerSpec, max_t: int) -> bool:
        """Whether a trial may end before its budget (then it is ``pruned``)."""
        return bool(self.milestones(spec, max_t))

    @abstractmethod
    def describe(self, spec: SchedulerSpec, max_t: int) -> str:
        """One line on what it does with these settings (``sweep validate``'s header, analysis notes)."""

    def refuse(self, spec: SweepSpec, staged: bool) -> None:
        """Raise a one-line SpecError for a sweep it cannot run (a sampler or `--staged` it conflicts with)."""

    def checkpoint_interval(self, spec: SchedulerSpec) -> int | None:
        """Epochs between the checkpoints every trial must save (a trial's own `checkpoint_every` must divide
        it), or None to leave `checkpoint_every` to the config."""
        return None
