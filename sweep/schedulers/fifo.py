"""FIFO: every trial trains its full budget; the baseline a pruning scheduler has to beat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from search_spaces.scheduler_spec import FifoSettings, SchedulerSpec
from sweep.schedulers.base import RayContext, SchedulerPlugin

if TYPE_CHECKING:
    from ray.tune.schedulers import TrialScheduler


class FifoPlugin(SchedulerPlugin[FifoSettings]):
    """Ray's FIFOScheduler: no milestones, so trials batch their reports freely."""

    name = "fifo"
    settings_type = FifoSettings

    def make(self, context: RayContext) -> TrialScheduler:
        from ray.tune.schedulers import FIFOScheduler

        return FIFOScheduler()

    def describe(self, spec: SchedulerSpec, max_t: int) -> str:
        return "every trial trains its full budget"
