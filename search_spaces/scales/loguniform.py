"""``loguniform: [low, high]``: a positive rate spread over decades (lr, weight decay); coordinate log10 α."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from search_spaces.checks import show
from search_spaces.errors import SpecError
from search_spaces.scales.base import Axis, Parsed, Suggestion
from search_spaces.scales.numeric import ContinuousScale

if TYPE_CHECKING:
    from search_spaces.params import Param


class LogUniformScale(ContinuousScale):
    """Uniform in log10 α: ``[1e-4, 1]`` puts a quarter of the draws in each decade."""

    name = "loguniform"
    examples = ([1e-4, 1], [1e-6, 1e-4], [0.5, 2000])
    invalid_examples = ([0, 1], [1, 1e-4], [1e-4], "fast")

    def parse_bounds(self, low: float, high: float, arg: Any, where: str) -> Parsed:
        if not 0 < low < high:
            raise SpecError(f"{where}: loguniform needs 0 < low < high, got {show(arg)}")
        return Parsed(float(low), float(high))

    def coord(self, param: Param, value: Any) -> float:
        return math.log10(value)

    def from_coord(self, param: Param, c: float) -> Any:
        return float(10.0**c)

    def coordinate_name(self, param: Param) -> str:
        return f"log10({param.name})"

    def step(self, param: Param, value: Any, factor: float) -> Any:
        return float(value) * factor  # a step of log10(factor) in log10 α

    def axis(self, param: Param) -> Axis:
        return Axis(label=f"{param.name} (log scale)", log_base=10)

    def suggestion(self, param: Param) -> Suggestion:
        low, high = param.bounds()
        return Suggestion("float", low, high, log=True)
