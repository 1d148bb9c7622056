"""``int: [low, high]``: whole numbers low..high (layers, a count); the coordinate is the value."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from search_spaces.checks import is_int, show
from search_spaces.errors import SpecError
from search_spaces.scales.base import Parsed, Suggestion, outward
from search_spaces.scales.numeric import RangeScale, halve_toward_zero

if TYPE_CHECKING:
    from search_spaces.params import Param


class IntScale(RangeScale):
    """Every integer of [low, high], equally likely."""

    name = "int"
    examples = ([1, 3], [0, 9], [-3, 7], [2, 2])
    invalid_examples = ([1.5, 3], [3, 1], [True, 3], [1, 2, 3])

    def parse_bounds(self, low: float, high: float, arg: Any, where: str) -> Parsed:
        if not (is_int(low) and is_int(high) and low <= high):
            raise SpecError(f"{where}: int needs integers low ≤ high, got {show(arg)}")
        return Parsed(int(low), int(high))

    def cast(self, value: Any) -> Any:
        return int(value)

    def levels(self, param: Param) -> list[Any] | None:
        low, high = param.bounds()
        return list(range(int(low), int(high) + 1))

    def contains(self, param: Param, value: Any) -> bool:
        low, high = param.bounds()
        return is_int(value) and low <= value <= high

    def coord(self, param: Param, value: Any) -> float:
        return float(value)

    def from_coord(self, param: Param, c: float) -> Any:
        low, high = param.bounds()
        return int(min(max(round(c), low), high))

    def hard_limits(self, param: Param) -> tuple[float, float]:
        """≥ 0 when the range started at or above 0."""
        return (0.0, float("inf")) if param.bounds()[0] >= 0 else (float("-inf"), float("inf"))

    def expansion_limits(self, param: Param, lo: float, new_lo: float, new_hi: float) -> tuple[float, float]:
        new_lo, new_hi = super().expansion_limits(param, lo, new_lo, new_hi)
        return halve_toward_zero(lo, new_lo), new_hi

    def span(self, param: Param, lo: float, hi: float) -> Param:
        low, high = outward(lo, hi)
        return replace(param, low=low, high=high)

    def step(self, param: Param, value: Any, factor: float) -> Any:
        return self.from_coord(param, float(value) + (1 if factor > 1 else -1))  # from_coord clips to the bounds

    def suggestion(self, param: Param) -> Suggestion:
        low, high = param.bounds()
        return Suggestion("int", int(low), int(high))
