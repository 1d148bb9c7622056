"""The spec's `scheduler:` mapping: `type`, the sweep's `max_t`, and the type's own settings, checked on parse.

Each scheduler's keys are one small frozen dataclass here (:data:`SETTINGS`); what the scheduler *does* (Ray's
object, its milestones, how its winner is scored) is its module in ``sweep/schedulers/``. The keys live here,
not there, because a :class:`SchedulerSpec` must be valid the moment it exists, wherever a spec is parsed (the
CLI, a Ray worker re-reading the searcher's plan, analysis reading ``spec.yaml``), and search_spaces may not
import sweep. ``tests/schedulers/test_schedulers_contract.py`` checks the two sides name the same schedulers.

Example:
    >>> parse_scheduler({"type": "pbt", "quantile_fraction": 0.5}).to_dict()
    {'type': 'pbt', 'perturbation_interval': 2, 'quantile_fraction': 0.5}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from search_spaces.checks import need_choice, need_int, need_mapping, need_number, reject_unknown
from search_spaces.errors import SpecError


@dataclass(frozen=True)
class Rule:
    """How one setting is checked: an integer ≥ `minimum`, else a number passing `test` (`text` in words)."""

    minimum: int | None = None
    text: str = ""
    test: Callable[[float], bool] | None = None

    def check(self, where: str, value: Any) -> Any:
        if self.minimum is not None:
            return need_int(where, value, self.minimum)
        number = need_number(where, value, self.text, self.test)
        return int(number) if number.is_integer() else number  # `3`, not `3.0`, back in spec.yaml


def integer(default: int, minimum: int) -> Any:
    """A dataclass field holding an integer setting ≥ `minimum`."""
    return field(default=default, metadata={"rule": Rule(minimum=minimum)})


def number(default: float, text: str, test: Callable[[float], bool]) -> Any:
    """A dataclass field holding a number setting that passes `test` (described by `text`, e.g. "a number > 1")."""
    return field(default=default, metadata={"rule": Rule(text=text, test=test)})


@dataclass(frozen=True)
class SchedulerSettings:
    """Base of each scheduler's own settings; FIFO has none."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class AshaSettings(SchedulerSettings):
    """ASHA: the first rung after `grace_period` epochs; each rung keeps the best 1/`reduction_factor`."""

    grace_period: int = integer(1, minimum=1)
    reduction_factor: float = number(3, "a number > 1", lambda x: x > 1)


@dataclass(frozen=True)
class FifoSettings(SchedulerSettings):
    """FIFO: every trial trains its full budget."""


@dataclass(frozen=True)
class PbtSettings(SchedulerSettings):
    """PBT: every `perturbation_interval` epochs the bottom `quantile_fraction` clones the top one."""

    perturbation_interval: int = integer(2, minimum=1)
    quantile_fraction: float = number(0.25, "a number in (0, 0.5]", lambda x: 0 < x <= 0.5)


SETTINGS: dict[str, type[SchedulerSettings]] = {"asha": AshaSettings, "fifo": FifoSettings, "pbt": PbtSettings}
SCHEDULERS = tuple(SETTINGS)
DEFAULT_SCHEDULER = "asha"
COMMON_KEYS = ("type", "max_t")


@dataclass(frozen=True)
class SchedulerSpec:
    """Trial scheduler: its `type`, the sweep's epoch budget `max_t` (None: the most epochs a config trains),
    and the type's own validated `settings` (defaults when not given)."""

    type: str = DEFAULT_SCHEDULER
    max_t: int | None = None
    settings: SchedulerSettings = field(default_factory=SchedulerSettings)  # the bare base: the type's defaults

    def __post_init__(self) -> None:
        kind = SETTINGS[need_choice("scheduler.type", self.type, SCHEDULERS, "scheduler")]
        if type(self.settings) is SchedulerSettings:
            object.__setattr__(self, "settings", kind())
        elif type(self.settings) is not kind:
            raise SpecError(
                f"scheduler: {type(self.settings).__name__} are not the settings of {self.type}: pass {kind.__name__}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The YAML mapping, flat as the user writes it: ``{type, max_t, <the type's settings>}``."""
        head: dict[str, Any] = {"type": self.type} if self.max_t is None else {"type": self.type, "max_t": self.max_t}
        return {**head, **self.settings.to_dict()}


def parse_scheduler(value: Any) -> SchedulerSpec:
    """The `scheduler:` entry (a mapping, a bare type name, or None for ASHA's defaults) as a SchedulerSpec.

    Keys of another scheduler are checked by their own rule, then dropped: spec.yaml files written before
    settings were per scheduler list every scheduler's keys.
    """
    if value is None:
        return SchedulerSpec()
    if isinstance(value, str):  # shorthand: `scheduler: fifo`
        value = {"type": value}
    data = need_mapping("scheduler", value)
    rules = {f.name: f.metadata["rule"] for kind in SETTINGS.values() for f in dataclasses.fields(kind)}
    reject_unknown("scheduler", data, [*COMMON_KEYS, *rules])
    kind = need_choice("scheduler.type", data.get("type", DEFAULT_SCHEDULER), SCHEDULERS, "scheduler")
    max_t = None if data.get("max_t") is None else need_int("scheduler.max_t", data["max_t"], minimum=1)
    checked = {key: rule.check(f"scheduler.{key}", data[key]) for key, rule in rules.items() if key in data}
    own = {f.name: checked[f.name] for f in dataclasses.fields(SETTINGS[kind]) if f.name in checked}
    return SchedulerSpec(type=kind, max_t=max_t, settings=SETTINGS[kind](**own))


__all__ = [
    "SCHEDULERS",
    "SETTINGS",
    "AshaSettings",
    "FifoSettings",
    "PbtSettings",
    "SchedulerSettings",
    "SchedulerSpec",
    "parse_scheduler",
]
