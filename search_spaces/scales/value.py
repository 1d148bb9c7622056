"""``value: x`` (or a bare ``x``): a fixed setting, never tuned; written bare in YAML when it can be."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from search_spaces.checks import fmt, show
from search_spaces.errors import SpecError
from search_spaces.scales.base import Axis, Parsed, Scale, Suggestion

if TYPE_CHECKING:
    from search_spaces.params import Param


class ValueScale(Scale):
    """One value of any type (a list or mapping too); its default is the value itself."""

    name = "value"
    kind = "fixed"
    constant = True
    examples = (20, "adam", [64, 32], {"a": 1}, None)

    def parse(self, arg: Any, where: str) -> Parsed:
        return Parsed(values=(arg,), default=arg)

    def argument(self, param: Param) -> Any:
        value = param.values[0]
        return list(value) if isinstance(value, tuple) else value

    def check_default(self, param: Param, default: Any, where: str) -> Any:
        if default != param.values[0]:
            raise SpecError(f"{where}: default must equal the fixed value {fmt(param.values[0])}, got {show(default)}")
        return param.default

    def entry(self, param: Param) -> Any:
        value = param.values[0]
        if param.tier is None and not isinstance(value, Mapping | list | tuple):
            return value  # a bare scalar: ``epochs: 20``
        entry: dict[str, Any] = {self.name: self.argument(param)}
        if param.tier is not None:
            entry["tier"] = param.tier
        return entry

    def levels(self, param: Param) -> list[Any] | None:
        return list(param.values)

    def contains(self, param: Param, value: Any) -> bool:
        return value in param.values

    def range_text(self, param: Param) -> str:
        return fmt(param.values[0])

    def is_fixed(self, param: Param) -> bool:
        return True

    def perturb(self, param: Param, value: Any, rng: random.Random, factors: tuple[float, ...], resample: float) -> Any:
        return value

    def axis(self, param: Param) -> Axis:
        return Axis(label=param.name, categorical=True)

    def suggestion(self, param: Param) -> Suggestion:
        return Suggestion("categorical", choices=tuple(param.values))
