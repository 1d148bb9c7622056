"""The scale protocol: every decision that differs between loguniform, beta, int, choice, … sits behind it.

A scale is a stateless object; each method takes the :class:`~search_spaces.params.Param` it acts on, which
holds the data (bounds, levels, default). ``Param``, sampling, zoom and the sweep's PBT, TPE, plots and
advice call these methods instead of branching on the scale's name, so a new scale is one module in this
package plus one line in its registry, and ``tests/search_spaces/test_scales_contract.py`` covers it from then on.

Each numeric scale has its own coordinate, in which sampling is uniform and zooming is linear (log10 α for
loguniform, log10(1 − β) for beta, log2 for pow2, the value itself for uniform and int).
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

import numpy as np

from search_spaces.checks import show
from search_spaces.errors import SpecError

if TYPE_CHECKING:
    from search_spaces.params import Param

Kind = Literal["fixed", "grid", "choice", "sampled"]


class Parsed(NamedTuple):
    """A validated scale argument: the :class:`Param` fields it sets."""

    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()
    default: Any = None


@dataclass(frozen=True)
class Axis:
    """How a plot draws a param along an axis, in plotting-library-neutral terms.

    Attributes:
        label: the axis label (``lr (log scale)``).
        log_base: draw the plotted numbers on a log axis of this base; None for a linear axis.
        complement: the plotted number is 1 − value (beta: 1 − β on a log axis); the axis then falls as the
            value grows, so a plot inverts it and labels its ticks in values.
        ticks: tick positions (plotted numbers) when only these values occur (pow2's levels); () for automatic.
        categorical: the values are unordered labels, drawn as evenly spaced ticks.
    """

    label: str
    log_base: int | None = None
    complement: bool = False
    ticks: tuple[float, ...] = ()
    categorical: bool = False

    def plotted(self, value: Any) -> Any:
        """The number drawn for `value` (a float or a numpy array)."""
        return 1.0 - value if self.complement else value


@dataclass(frozen=True)
class Suggestion:
    """What a model-based searcher (Optuna's TPE) should suggest for a param, and in which coordinate.

    Attributes:
        kind: ``float``, ``int`` or ``categorical``.
        low, high: the range of the suggested number (inclusive; unused for ``categorical``).
        log: suggest on a log scale (the searcher's own log; the number is still the value).
        choices: the values of a ``categorical``.
        in_coordinate: the number is the param's coordinate, not its value: the value is
            ``param.from_coord(number)``. When False, a uniform draw of the number in [low, high] (in log
            when `log`) follows the same distribution as :meth:`Scale.from_unit`, so Ray's native domains
            can stand in for it.
    """

    kind: Literal["float", "int", "categorical"]
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[Any, ...] = ()
    in_coordinate: bool = False


class Scale(ABC):
    """One scale of a search-space parameter (see the module docstring).

    Attributes:
        name: the YAML key (``loguniform``).
        kind: how a searcher treats it: ``fixed`` (one value), ``grid`` (every value, crossed with the
            rest), ``choice`` (draw among levels), ``sampled`` (draw from a range via :meth:`from_unit`).
        numeric: the values are ordered along a coordinate (coord/from_coord/extent work).
        continuous: the values fill an interval (no levels).
        listed: the YAML argument is the list of values.
        constant: the param is one value by declaration (``value``): no default, never tuned.
        reversed: the coordinate falls as the value grows (beta's log10(1 − β)).
        examples: valid YAML arguments (the contract test parses each).
        invalid_examples: arguments that must fail with a one-line SpecError.
    """

    name: ClassVar[str]
    kind: ClassVar[Kind] = "sampled"
    numeric: ClassVar[bool] = False
    continuous: ClassVar[bool] = False
    listed: ClassVar[bool] = False
    constant: ClassVar[bool] = False
    reversed: ClassVar[bool] = False
    examples: ClassVar[tuple[Any, ...]] = ()
    invalid_examples: ClassVar[tuple[Any, ...]] = ()

    def __repr__(self) -> str:
        return f"<scale {self.name}>"

    # ----------------------------------------------------------------- the YAML form
    @abstractmethod
    def parse(self, arg: Any, where: str) -> Parsed:
        """Validate the scale's argument (``[1e-4, 1]``); a SpecError names `where`, the rule and `arg`."""

    @abstractmethod
    def argument(self, param: Param) -> Any:
        """The YAML argument back from a param: ``parse(argument(p))`` rebuilds it."""

    def cast(self, value: Any) -> Any:
        """A default in the scale's own type (int for int and pow2, float for continuous scales)."""
        return value

    def check_default(self, param: Param, default: Any, where: str) -> Any:
        """The validated, cast ``default:`` of an entry."""
        if not self.contains(param, default):
            raise SpecError(f"{where}: default must lie in {self.describe(param)}, got {show(default)}")
        return self.cast(default)

    def entry(self, param: Param) -> Any:
        """The whole YAML entry: ``{scale: argument, default: …, tier: …}``."""
        entry: dict[str, Any] = {self.name: self.argument(param)}
        if param.default is not None:
            entry["default"] = param.default
        if param.tier is not None:
            entry["tier"] = param.tier
        return entry

    # ----------------------------------------------------------------- values
    @abstractmethod
    def levels(self, param: Param) -> list[Any] | None:
        """Every value of a discrete scale, in order; None for a continuous one."""

    @abstractmethod
    def contains(self, param: Param, value: Any) -> bool:
        """Whether `value` is one the param can take."""

    @abstractmethod
    def range_text(self, param: Param) -> str:
        """The bounds or values alone: ``[0.0001, 1]``."""

    def describe(self, param: Param) -> str:
        """``loguniform [0.0001, 1]``: one line, for messages and tables."""
        return f"{self.name} {self.range_text(param)}"

    def is_fixed(self, param: Param) -> bool:
        """Only one value possible: nothing to tune."""
        levels = self.levels(param)
        return levels is not None and len(levels) == 1

    def from_unit(self, param: Param, u: float) -> Any:
        """The value at u ∈ [0, 1], uniformly spread: here, equal cells over the levels."""
        levels = self.levels(param) or []
        return levels[min(int(u * len(levels)), len(levels) - 1)]

    def from_units(self, param: Param, units: np.ndarray) -> list[Any]:
        """:meth:`from_unit` of each of many `units` (in [0, 1]), the same values, worked out together."""
        levels = self.levels(param) or []
        cells = np.minimum((units * len(levels)).astype(int), len(levels) - 1)
        return [levels[i] for i in cells.tolist()]

    # ----------------------------------------------------------------- the coordinate (numeric scales)
    def coord(self, param: Param, value: Any) -> float:
        """The param's own coordinate of `value`."""
        raise ValueError(f"{param.name}: {self.name} has no numeric coordinate")

    def from_coord(self, param: Param, c: float) -> Any:
        """Inverse of :meth:`coord` (discrete scales round or snap to a level, within the range)."""
        raise ValueError(f"{param.name}: {self.name} has no numeric coordinate")

    def extent(self, param: Param) -> tuple[Any, Any]:
        """The smallest and largest value the param can take (pow2: its levels' ends, not the bounds written)."""
        raise ValueError(f"{param.name}: {self.name} has no bounds")

    def coord_bounds(self, param: Param) -> tuple[float, float]:
        """(min, max) of the range in the coordinate (beta's coordinate runs backwards)."""
        ends = [self.coord(param, v) for v in self.extent(param)]
        return min(ends), max(ends)

    def coordinate_name(self, param: Param) -> str:
        """How messages name the coordinate: ``log10(lr)``, ``log10(1−momentum)``, ``layers``."""
        return param.name

    # ----------------------------------------------------------------- zoom hooks (numeric scales)
    def hard_limits(self, param: Param) -> tuple[float, float]:
        """How far an expanding range may go, in the coordinate: the scale's own limits."""
        raise ValueError(f"{param.name}: {self.name} has no numeric coordinate")

    def expansion_limits(self, param: Param, lo: float, new_lo: float, new_hi: float) -> tuple[float, float]:
        """A widened coordinate range [new_lo, new_hi] (from this round's low end `lo`) cut to the hard limits."""
        limit_lo, limit_hi = self.hard_limits(param)
        return max(new_lo, limit_lo), min(new_hi, limit_hi)

    def span(self, param: Param, lo: float, hi: float) -> Param:
        """The param over the coordinate range [lo, hi] (discrete scales round outward to whole levels)."""
        raise ValueError(f"{param.name}: {self.name} has no numeric coordinate")

    def union(self, original: Param, current: Param) -> Param:
        """`original` grown to hold `current`'s range (same scale): an expanded round is not clipped back."""
        return original

    def loose_bounds(self, param: Param) -> str | None:
        """Why the bounds as written are not values the scale takes (preflight refuses them), or None."""
        return None

    # ----------------------------------------------------------------- for the sweep: PBT, plots, TPE
    @abstractmethod
    def perturb(self, param: Param, value: Any, rng: random.Random, factors: tuple[float, ...], resample: float) -> Any:
        """One PBT explore step of `value`, within the param's range.

        Numeric scales draw a factor from `factors` and move one step in their coordinate (> 1: up);
        categorical ones redraw a level with probability `resample`, else keep `value`.
        """

    @abstractmethod
    def axis(self, param: Param) -> Axis:
        """How plots draw the param."""

    @abstractmethod
    def suggestion(self, param: Param) -> Suggestion:
        """What Optuna (or Ray's native domains) should draw for the param."""


def clip(value: float, low: float, high: float) -> float:
    """`value` within [low, high], as a float."""
    return float(min(max(value, low), high))


def outward(lo: float, hi: float) -> tuple[int, int]:
    """[lo, hi] rounded outward to whole numbers (a hair of float error is not a step)."""
    return math.floor(lo + 1e-9), math.ceil(hi - 1e-9)
