"""What the ``[low, high]`` scales share (loguniform, beta, uniform, int, pow2), and the continuous ones' draws."""

from __future__ import annotations

import random
from abc import abstractmethod
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from search_spaces.checks import fmt, is_number, show
from search_spaces.errors import SpecError
from search_spaces.scales.base import Axis, Parsed, Scale, clip

if TYPE_CHECKING:
    from search_spaces.params import Param


class RangeScale(Scale):
    """A scale written ``name: [low, high]``, ordered along a coordinate."""

    numeric = True

    def parse(self, arg: Any, where: str) -> Parsed:
        if not isinstance(arg, list | tuple) or len(arg) != 2 or not all(is_number(b) for b in arg):
            raise SpecError(f"{where}: {self.name} needs [low, high] (two numbers), got {show(arg)}")
        return self.parse_bounds(arg[0], arg[1], arg, where)

    @abstractmethod
    def parse_bounds(self, low: float, high: float, arg: Any, where: str) -> Parsed:
        """The scale's own rule on two numbers (``0 < low < high``)."""

    def argument(self, param: Param) -> Any:
        return [param.low, param.high]

    def range_text(self, param: Param) -> str:
        return f"[{fmt(param.low)}, {fmt(param.high)}]"

    def extent(self, param: Param) -> tuple[Any, Any]:
        return param.bounds()

    def hard_limits(self, param: Param) -> tuple[float, float]:
        return float("-inf"), float("inf")

    def union(self, original: Param, current: Param) -> Param:
        low = min(original.bounds()[0], current.bounds()[0])
        high = max(original.bounds()[1], current.bounds()[1])
        return replace(original, low=low, high=high)

    def perturb(self, param: Param, value: Any, rng: random.Random, factors: tuple[float, ...], resample: float) -> Any:
        return self.step(param, value, rng.choice(factors))

    @abstractmethod
    def step(self, param: Param, value: Any, factor: float) -> Any:
        """`value` moved by `factor` (a factor > 1 moves up), kept in range."""

    def axis(self, param: Param) -> Axis:
        return Axis(label=param.name)


class ContinuousScale(RangeScale):
    """A [low, high] interval of floats, drawn uniformly in the coordinate."""

    continuous = True

    def cast(self, value: Any) -> Any:
        return float(value)

    def levels(self, param: Param) -> list[Any] | None:
        return None

    def contains(self, param: Param, value: Any) -> bool:
        low, high = param.bounds()
        return is_number(value) and low <= value <= high

    def from_unit(self, param: Param, u: float) -> Any:
        lo, hi = self.coord_bounds(param)
        return clip(self.from_coord(param, lo + u * (hi - lo)), *param.bounds())

    def from_units(self, param: Param, units: np.ndarray) -> list[Any]:
        lo, hi = self.coord_bounds(param)
        low, high = param.bounds()
        return [clip(self.from_coord(param, c), low, high) for c in (lo + units * (hi - lo)).tolist()]

    def span(self, param: Param, lo: float, hi: float) -> Param:
        low, high = sorted((self.from_coord(param, lo), self.from_coord(param, hi)))
        return replace(param, low=low, high=high)

    def perturb(self, param: Param, value: Any, rng: random.Random, factors: tuple[float, ...], resample: float) -> Any:
        return clip(super().perturb(param, value, rng, factors, resample), *param.bounds())


def halve_toward_zero(lo: float, new_lo: float) -> float:
    """A linear range that started above 0 (keep_prob, hidden units) halves toward 0, never reaches it."""
    return lo / 2 if lo > 0 >= new_lo else new_lo
