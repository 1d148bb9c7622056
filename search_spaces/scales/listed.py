"""What the scales written as a list of values share (choice, grid): unordered levels, no coordinate."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from search_spaces.checks import fmt, show
from search_spaces.errors import SpecError
from search_spaces.scales.base import Axis, Parsed, Scale, Suggestion

if TYPE_CHECKING:
    from search_spaces.params import Param


class ListScale(Scale):
    """A scale written ``name: [a, b, …]``: the values are labels, in the order given."""

    listed = True
    examples = (["relu", "tanh"], [1, 2, 3], ["only"])
    invalid_examples = ([], "relu", None)

    def parse(self, arg: Any, where: str) -> Parsed:
        if not isinstance(arg, list | tuple) or not arg:
            raise SpecError(f"{where}: {self.name} needs a non-empty list, got {show(arg)}")
        return Parsed(values=tuple(arg))

    def argument(self, param: Param) -> Any:
        return list(param.values)

    def levels(self, param: Param) -> list[Any] | None:
        return list(param.values)

    def contains(self, param: Param, value: Any) -> bool:
        return value in param.values

    def range_text(self, param: Param) -> str:
        return fmt(param.values)

    def perturb(self, param: Param, value: Any, rng: random.Random, factors: tuple[float, ...], resample: float) -> Any:
        return rng.choice(list(param.values)) if rng.random() < resample else value

    def axis(self, param: Param) -> Axis:
        return Axis(label=param.name, categorical=True)

    def suggestion(self, param: Param) -> Suggestion:
        return Suggestion("categorical", choices=tuple(param.values))
