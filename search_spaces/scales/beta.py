"""``beta: [low, high]``: a momentum-like β in [0, 1), whose effect grows as 1 − β shrinks; coordinate log10(1 − β).

An average over the last ~1/(1 − β) steps: 0.9 → 10 steps, 0.99 → 100, 0.999 → 1000, so β is drawn
uniformly in log10(1 − β) and never reaches 1.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from search_spaces.checks import show
from search_spaces.errors import SpecError
from search_spaces.scales.base import Axis, Parsed, Suggestion
from search_spaces.scales.numeric import ContinuousScale

if TYPE_CHECKING:
    from search_spaces.params import Param

MIN_ONE_MINUS = 1e-9  # an expanding range stops at β = 1 − 1e-9


class BetaScale(ContinuousScale):
    """Uniform in log10(1 − β): ``[0.9, 0.999]`` puts half the draws below 0.99."""

    name = "beta"
    reversed = True
    examples = ([0.9, 0.999], [0.0, 0.5], [0.5, 0.999])
    invalid_examples = ([0.9, 1.0], [0.99, 0.9], [-0.1, 0.5], [0.9])

    def parse_bounds(self, low: float, high: float, arg: Any, where: str) -> Parsed:
        if not (0 <= low < 1 and 0 <= high < 1):
            raise SpecError(f"{where}: beta bounds must lie in [0, 1), got {show(arg)}")
        if not low < high:
            raise SpecError(f"{where}: beta needs low < high, got {show(arg)}")
        return Parsed(float(low), float(high))

    def coord(self, param: Param, value: Any) -> float:
        return math.log10(1.0 - value)

    def from_coord(self, param: Param, c: float) -> Any:
        return float(1.0 - 10.0**c)

    def coordinate_name(self, param: Param) -> str:
        return f"log10(1−{param.name})"

    def hard_limits(self, param: Param) -> tuple[float, float]:
        return math.log10(MIN_ONE_MINUS), 0.0

    def step(self, param: Param, value: Any, factor: float) -> Any:
        return 1.0 - (1.0 - float(value)) * factor  # a step of log10(factor) in log10(1 − β)

    def axis(self, param: Param) -> Axis:
        return Axis(label=f"{param.name} (β, spaced as log(1−β))", log_base=10, complement=True)

    def suggestion(self, param: Param) -> Suggestion:
        low, high = self.coord_bounds(param)
        return Suggestion("float", low, high, in_coordinate=True)
