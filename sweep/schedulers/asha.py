"""ASHA (asynchronous successive halving): at each rung a trial goes on only if it is in the best 1/η so far.

One scheduler serves every round: its rungs hold the trials of all rounds, so a later round's trial is promoted
only when it beats the top 1/η of every trial (of any round) that reached the same rung.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from search_spaces.checks import fmt
from search_spaces.scheduler_spec import AshaSettings, SchedulerSpec
from sweep.schedulers.base import RayContext, SchedulerPlugin
from sweep.store.trial_status import asha_milestones

if TYPE_CHECKING:
    from ray.tune.schedulers import TrialScheduler


class AshaPlugin(SchedulerPlugin[AshaSettings]):
    """ASHA with one bracket; its rungs are :func:`~sweep.store.trial_status.asha_milestones` (Ray's formula).

    Example:
        >>> from search_spaces import parse_spec
        >>> scheduler = parse_spec({"scheduler": {"grace_period": 2, "reduction_factor": 3}}).scheduler
        >>> AshaPlugin().milestones(scheduler, 20)
        (2, 6, 18)
    """

    name = "asha"
    settings_type = AshaSettings

    def make(self, context: RayContext) -> TrialScheduler:
        from ray.tune.schedulers import ASHAScheduler

        settings = self.settings(context.spec.scheduler)
        return ASHAScheduler(
            time_attr=context.time_attr,
            max_t=context.max_t,
            grace_period=min(settings.grace_period, context.max_t),
            reduction_factor=settings.reduction_factor,
        )

    def milestones(self, spec: SchedulerSpec, max_t: int) -> tuple[int, ...]:
        settings = self.settings(spec)
        return tuple(asha_milestones(min(settings.grace_period, max_t), settings.reduction_factor, max_t))

    def describe(self, spec: SchedulerSpec, max_t: int) -> str:
        rungs = ", ".join(str(m) for m in self.milestones(spec, max_t))
        return f"rungs at epochs {rungs}, each keeping the best 1/{fmt(self.settings(spec).reduction_factor)}"
