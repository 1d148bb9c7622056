"""Trial schedulers as plug-ins: one module each, registered here under the `scheduler.type` they answer to.

Adding one: a module with a :class:`~sweep.schedulers.base.SchedulerPlugin` subclass, its line in
:data:`REGISTRY`, and its settings dataclass in :data:`search_spaces.scheduler_spec.SETTINGS`;
``tests/schedulers/test_schedulers_contract.py`` then drives it like every other.

Example:
    >>> from search_spaces import parse_spec
    >>> scheduler = parse_spec({"scheduler": {"type": "asha", "grace_period": 2}}).scheduler
    >>> get_scheduler(scheduler.type).milestones(scheduler, max_t=20)
    (2, 6, 18)
    >>> get_scheduler("hyperband")
    Traceback (most recent call last):
    search_spaces.errors.SpecError: scheduler.type: unknown scheduler 'hyperband' (choose asha, fifo, pbt)
"""

from __future__ import annotations

from typing import Any

from search_spaces.checks import need_choice
from sweep.schedulers.asha import AshaPlugin
from sweep.schedulers.base import RayContext, SchedulerPlugin
from sweep.schedulers.fifo import FifoPlugin
from sweep.schedulers.pbt import PbtPlugin

REGISTRY: dict[str, SchedulerPlugin[Any]] = {
    plugin.name: plugin for plugin in (AshaPlugin(), FifoPlugin(), PbtPlugin())
}  # fmt: skip


def get_scheduler(name: str) -> SchedulerPlugin[Any]:
    """The plug-in for a ``scheduler.type``, or a one-line SpecError listing the known names."""
    return REGISTRY[need_choice("scheduler.type", name, REGISTRY, "scheduler")]


__all__ = ["REGISTRY", "RayContext", "SchedulerPlugin", "get_scheduler"]
