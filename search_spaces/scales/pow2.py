"""``pow2: [low, high]``: the powers of two in [low, high] (batch size, width); coordinate log2 v."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from search_spaces.checks import fmt, is_int, show
from search_spaces.errors import SpecError
from search_spaces.scales.base import Axis, Parsed, Suggestion, outward
from search_spaces.scales.numeric import RangeScale

if TYPE_CHECKING:
    from search_spaces.params import Param


def pow2_levels(low: float, high: float) -> tuple[int, ...]:
    """The powers of two 2^k (k ≥ 0) with low ≤ 2^k ≤ high.

    Example:
        >>> pow2_levels(10, 300)
        (16, 32, 64, 128, 256)
    """
    k = max(0, math.ceil(math.log2(low) - 1e-12))
    levels = []
    while 2**k <= high:
        if 2**k >= low:
            levels.append(2**k)
        k += 1
    return tuple(levels)


class Pow2Scale(RangeScale):
    """Each power of two in the range equally likely; the bounds need not be powers of two themselves."""

    name = "pow2"
    kind = "choice"
    examples = ([16, 256], [10, 300], [0.3, 5], [1, 1])
    invalid_examples = ([17, 31], [0, 4], [64, 16], [16])

    def parse_bounds(self, low: float, high: float, arg: Any, where: str) -> Parsed:
        if not 0 < low <= high:
            raise SpecError(f"{where}: pow2 needs 0 < low ≤ high, got {show(arg)}")
        levels = pow2_levels(low, high)
        if not levels:
            raise SpecError(f"{where}: pow2 range holds no power of two, got {show(arg)}")
        return Parsed(_num(low), _num(high), levels)

    def cast(self, value: Any) -> Any:
        return int(value)

    def levels(self, param: Param) -> list[Any] | None:
        return list(param.values)

    def contains(self, param: Param, value: Any) -> bool:
        return is_int(value) and value in param.values

    def extent(self, param: Param) -> tuple[Any, Any]:
        return param.values[0], param.values[-1]

    def coord(self, param: Param, value: Any) -> float:
        return math.log2(value)

    def from_coord(self, param: Param, c: float) -> Any:
        k = min(max(round(c), int(math.log2(param.values[0]))), int(math.log2(param.values[-1])))
        return int(2**k)

    def coordinate_name(self, param: Param) -> str:
        return f"log2({param.name})"

    def hard_limits(self, param: Param) -> tuple[float, float]:
        return 0.0, float("inf")  # 2^0 = 1 at least

    def span(self, param: Param, lo: float, hi: float) -> Param:
        k_lo, k_hi = outward(lo, hi)
        return _with_levels(param, pow2_levels(2.0**k_lo, 2.0**k_hi))

    def union(self, original: Param, current: Param) -> Param:
        levels = sorted(set(original.values) | set(current.values))
        return _with_levels(original, pow2_levels(levels[0], levels[-1]))

    def loose_bounds(self, param: Param) -> str | None:
        low, high = self.extent(param)
        if (param.low, param.high) == (low, high):
            return None
        return f"pow2 bounds must be powers of two, got [{fmt(param.low)}, {fmt(param.high)}]: write [{low}, {high}]"

    def step(self, param: Param, value: Any, factor: float) -> Any:
        return self.from_coord(param, self.coord(param, value) + (1 if factor > 1 else -1))  # ×2 or ÷2, in range

    def axis(self, param: Param) -> Axis:
        return Axis(label=f"{param.name} (log2 scale)", log_base=2, ticks=tuple(float(v) for v in param.values))

    def suggestion(self, param: Param) -> Suggestion:
        low, high = self.coord_bounds(param)
        return Suggestion("int", int(low), int(high), in_coordinate=True)


def _with_levels(param: Param, levels: tuple[int, ...]) -> Param:
    return replace(param, low=levels[0], high=levels[-1], values=levels)


def _num(x: float) -> float:
    """Keep integral bounds as ints (``16``, not ``16.0``) so the YAML form stays as written."""
    return int(x) if is_int(x) else float(x)
