"""ASHA (asynchronous successive halving): at each rung a trial goes on only if it is in the best 1/η so far.

One scheduler serves every round: its rungs hold the trials of all rounds, so a later round's trial is promoted
only when it beats the top 1/η of every trial (of any round) that reached the same rung.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from search_spaces.checks import fmt
from search_spaces.scheduler_spec import AshaSettings, SchedulerSpec
from sweep.schedulers.base import RayContext, SchedulerPlugin

if TYPE_CHECKING:
    from ray.tune.schedulers import TrialScheduler


class AshaPlugin(SchedulerPlugin[AshaSettings]):
    """ASHA with one bracket; its rungs are :func:`asha_milestones` (Ray's formula).

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


def asha_milestones(grace_period: int, reduction_factor: float, max_t: int) -> list[int]:
    """Epoch milestones of a one-bracket ASHA, ascending; the same formula as Ray's `_Bracket`.

    Example:
        >>> asha_milestones(1, 3, 27)
        [1, 3, 9, 27]
    """
    count = int(math.log(max_t / grace_period) / math.log(reduction_factor) + 1 + 1e-9)
    return [int(grace_period * reduction_factor**k) for k in range(count)]
