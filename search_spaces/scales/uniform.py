"""``uniform: [low, high]``: a plain interval (keep probability, a fraction); the coordinate is the value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from search_spaces.checks import show
from search_spaces.errors import SpecError
from search_spaces.scales.base import Parsed, Suggestion
from search_spaces.scales.numeric import ContinuousScale, halve_toward_zero

if TYPE_CHECKING:
    from search_spaces.params import Param


class UniformScale(ContinuousScale):
    """Uniform in the value itself."""

    name = "uniform"
    examples = ([0.5, 1.0], [-1, 1], [0, 5])
    invalid_examples = ([1, 1], [2, 1], [0, float("nan")], "half")

    def parse_bounds(self, low: float, high: float, arg: Any, where: str) -> Parsed:
        if not low < high:
            raise SpecError(f"{where}: uniform needs low < high, got {show(arg)}")
        return Parsed(float(low), float(high))

    def coord(self, param: Param, value: Any) -> float:
        return float(value)

    def from_coord(self, param: Param, c: float) -> Any:
        return float(c)

    def hard_limits(self, param: Param) -> tuple[float, float]:
        """[0, 1] for a range inside it (a probability or a fraction), ≥ 0 for one at or above 0."""
        low, high = param.bounds()
        if 0 <= low and high <= 1:
            return 0.0, 1.0
        return (0.0, float("inf")) if low >= 0 else (float("-inf"), float("inf"))

    def expansion_limits(self, param: Param, lo: float, new_lo: float, new_hi: float) -> tuple[float, float]:
        new_lo, new_hi = super().expansion_limits(param, lo, new_lo, new_hi)
        return halve_toward_zero(lo, new_lo), new_hi

    def step(self, param: Param, value: Any, factor: float) -> Any:
        low, high = param.bounds()
        return float(value) + (factor - 1.0) * (high - low) / 2  # ±10 % of the range for factors 0.8/1.2

    def suggestion(self, param: Param) -> Suggestion:
        low, high = param.bounds()
        return Suggestion("float", low, high)
