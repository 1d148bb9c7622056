"""One hyperparameter: its scale, its range or values, and the map from the unit interval to values.

Each numeric scale has its own coordinate, in which sampling is uniform and zooming is linear:
log10 v (loguniform), log10(1 - v) (beta), v (uniform, int), log2 v (pow2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from search_spaces.checks import is_int, is_number, join, reject_unknown, show, text_of
from search_spaces.errors import SpecError

SCALES: tuple[str, ...] = ("loguniform", "beta", "uniform", "int", "pow2", "choice", "grid", "value")
NUMERIC_SCALES = ("loguniform", "beta", "uniform", "int", "pow2")
CONTINUOUS_SCALES = ("loguniform", "beta", "uniform")
LIST_SCALES = ("choice", "grid")
ENTRY_KEYS = (*SCALES, "default", "tier")


def fmt(value: Any) -> str:
    """Short display form: ``0.0001``, ``1``, ``1e-09``, ``adam``."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return text_of(value)


def pow2_levels(low: float, high: float) -> tuple[int, ...]:
    """The powers of two 2^k (k ≥ 0) with low ≤ 2^k ≤ high."""
    k = max(0, math.ceil(math.log2(low) - 1e-12))
    levels = []
    while 2**k <= high:
        if 2**k >= low:
            levels.append(2**k)
        k += 1
    return tuple(levels)


@dataclass(frozen=True)
class Param:
    """A hyperparameter of a sweep's space.

    Attributes:
        name: the config key the trainable reads.
        scale: one of :data:`SCALES`.
        low, high: bounds for the numeric scales (ints for ``int``/``pow2``), else None.
        values: the levels of ``choice``/``grid``/``pow2``, or the one fixed ``value``.
        default: the value used when the param is held fixed (tier selection); None if not given.
        tier: 1 (tune first) .. 3 (tune last), or None for "always tuned".

    Example:
        >>> p = Param.from_entry("lr", {"loguniform": [1e-4, 1], "default": 0.05, "tier": 1})
        >>> p.from_unit(0.5)
        0.01
    """

    name: str
    scale: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()
    default: Any = None
    tier: int | None = None

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_entry(cls, name: str, entry: Any, where: str | None = None) -> Param:
        """Parse and validate one ``space:`` entry (a mapping with one scale key, or a bare scalar).

        Example:
            >>> Param.from_entry("epochs", 20).scale
            'value'
        """
        where = where or join("space", name)
        if not isinstance(entry, Mapping):
            if isinstance(entry, list | tuple):
                raise SpecError(
                    f"{where}: a list needs a scale key (write choice: [...], grid: [...] or "
                    f"value: [...]), got {show(entry)}"
                )
            return cls(name, "value", values=(entry,), default=entry)
        reject_unknown(where, entry, ENTRY_KEYS)
        scales = [k for k in entry if k in SCALES]
        if len(scales) != 1:
            got = ", ".join(scales) if scales else "none"
            raise SpecError(f"{where}: needs exactly one scale key ({', '.join(SCALES)}), got {got}")
        scale = scales[0]
        tier = entry.get("tier")
        if tier is not None and (not is_int(tier) or not 1 <= tier <= 3):
            raise SpecError(f"{join(where, 'tier')}: must be 1, 2 or 3, got {show(tier)}")
        param = replace(_build(name, scale, entry[scale], where), tier=None if tier is None else int(tier))
        if "default" in entry and scale != "value":
            default = entry["default"]
            if not param.contains(default):
                raise SpecError(f"{where}: default must lie in {param.describe()}, got {show(default)}")
            if scale in ("int", "pow2"):
                default = int(default)
            elif scale in CONTINUOUS_SCALES:
                default = float(default)
            param = replace(param, default=default)
        elif "default" in entry and entry["default"] != param.values[0]:
            raise SpecError(
                f"{where}: default must equal the fixed value {fmt(param.values[0])}, got {show(entry['default'])}"
            )
        return param

    def to_dict(self) -> Any:
        """The YAML entry form; ``Param.from_entry(name, p.to_dict()) == p``."""
        if self.scale == "value":
            value = self.values[0]
            if self.tier is None and not isinstance(value, Mapping | list | tuple):
                return value
            entry: dict[str, Any] = {"value": list(value) if isinstance(value, tuple) else value}
        elif self.scale in LIST_SCALES:
            entry = {self.scale: list(self.values)}
        else:
            entry = {self.scale: [self.low, self.high]}
        if self.default is not None and self.scale != "value":
            entry["default"] = self.default
        if self.tier is not None:
            entry["tier"] = self.tier
        return entry

    # ----------------------------------------------------------------- properties
    @property
    def is_numeric(self) -> bool:
        """Scales with an ordered coordinate (loguniform, beta, uniform, int, pow2)."""
        return self.scale in NUMERIC_SCALES

    @property
    def is_fixed(self) -> bool:
        """A ``value`` param, or one whose range holds a single value."""
        if self.scale == "value":
            return True
        levels = self.levels()
        return levels is not None and len(levels) == 1

    def levels(self) -> list[Any] | None:
        """Every value of a discrete scale (choice, grid, value, pow2, int); None for continuous ones."""
        if self.scale == "int":
            low, high = self.bounds()
            return list(range(int(low), int(high) + 1))
        if self.scale in CONTINUOUS_SCALES:
            return None
        return list(self.values)

    def contains(self, value: Any) -> bool:
        """Whether `value` lies in the param's range or values."""
        if self.scale in CONTINUOUS_SCALES:
            low, high = self.bounds()
            return is_number(value) and low <= value <= high
        if self.scale in ("int", "pow2"):
            return is_int(value) and value in (self.levels() or [])
        return value in self.values

    def describe(self) -> str:
        """``loguniform [0.0001, 1]``, ``choice [none, inverse_time]``, ``value 20``."""
        if self.scale == "value":
            return f"value {fmt(self.values[0])}"
        if self.scale in LIST_SCALES:
            return f"{self.scale} {fmt(self.values)}"
        return f"{self.scale} {self.range_text()}"

    def range_text(self) -> str:
        """The bounds or values alone: ``[0.0001, 1]``."""
        if self.scale == "value":
            return fmt(self.values[0])
        if self.scale in LIST_SCALES:
            return fmt(self.values)
        return f"[{fmt(self.low)}, {fmt(self.high)}]"

    # ----------------------------------------------------------------- coordinates
    def from_unit(self, u: float) -> Any:
        """Map u in [0, 1) to a value, uniformly in the param's own coordinate.

        Example:
            >>> Param.from_entry("m", {"beta": [0.9, 0.999]}).from_unit(0.5)
            0.99
        """
        u = min(max(float(u), 0.0), 1.0)
        if self.scale in CONTINUOUS_SCALES:
            lo, hi = self.coord_bounds()
            return self._clip(self.from_coord(lo + u * (hi - lo)))
        levels = self.levels() or []
        return levels[min(int(u * len(levels)), len(levels) - 1)]

    def coord(self, value: Any) -> float:
        """The param's own coordinate of `value`: log10 v, log10(1 - v), v, v or log2 v."""
        if self.scale == "loguniform":
            return math.log10(value)
        if self.scale == "beta":
            return math.log10(1.0 - value)
        if self.scale in ("uniform", "int"):
            return float(value)
        if self.scale == "pow2":
            return math.log2(value)
        raise ValueError(f"{self.name}: {self.scale} has no numeric coordinate")

    def from_coord(self, c: float) -> Any:
        """Inverse of :meth:`coord`; ``int`` rounds, ``pow2`` snaps to the nearest level."""
        if self.scale == "loguniform":
            return float(10.0**c)
        if self.scale == "beta":
            return float(1.0 - 10.0**c)
        if self.scale == "uniform":
            return float(c)
        if self.scale == "int":
            low, high = self.bounds()
            return int(min(max(round(c), low), high))
        if self.scale == "pow2":
            k = min(max(round(c), int(math.log2(self.values[0]))), int(math.log2(self.values[-1])))
            return int(2**k)
        raise ValueError(f"{self.name}: {self.scale} has no numeric coordinate")

    def coord_bounds(self) -> tuple[float, float]:
        """(min, max) of the range in the param's own coordinate (beta's coordinate runs backwards)."""
        if self.scale == "pow2":
            ends = (self.coord(self.values[0]), self.coord(self.values[-1]))
        else:
            ends = (self.coord(self.low), self.coord(self.high))
        return min(ends), max(ends)

    def bounds(self) -> tuple[float, float]:
        """(low, high) of a numeric param."""
        if self.low is None or self.high is None:
            raise ValueError(f"{self.name}: {self.scale} has no bounds")
        return self.low, self.high

    def _clip(self, value: float) -> float:
        low, high = self.bounds()
        return float(min(max(value, low), high))


def _build(name: str, scale: str, arg: Any, where: str) -> Param:
    """Validate the scale's argument and build the param (no default or tier yet)."""
    if scale == "value":
        return Param(name, "value", values=(arg,), default=arg)
    if scale in LIST_SCALES:
        if not isinstance(arg, list | tuple) or not arg:
            raise SpecError(f"{where}: {scale} needs a non-empty list, got {show(arg)}")
        return Param(name, scale, values=tuple(arg))
    if not isinstance(arg, list | tuple) or len(arg) != 2 or not all(is_number(b) for b in arg):
        raise SpecError(f"{where}: {scale} needs [low, high] (two numbers), got {show(arg)}")
    low, high = arg
    if scale == "loguniform" and not 0 < low < high:
        raise SpecError(f"{where}: loguniform needs 0 < low < high, got {show(arg)}")
    if scale == "beta":
        if not (0 <= low < 1 and 0 <= high < 1):
            raise SpecError(f"{where}: beta bounds must lie in [0, 1), got {show(arg)}")
        if not low < high:
            raise SpecError(f"{where}: beta needs low < high, got {show(arg)}")
    if scale == "uniform" and not low < high:
        raise SpecError(f"{where}: uniform needs low < high, got {show(arg)}")
    if scale == "int":
        if not (is_int(low) and is_int(high) and low <= high):
            raise SpecError(f"{where}: int needs integers low ≤ high, got {show(arg)}")
        return Param(name, "int", int(low), int(high))
    if scale == "pow2":
        if not 0 < low <= high:
            raise SpecError(f"{where}: pow2 needs 0 < low ≤ high, got {show(arg)}")
        levels = pow2_levels(low, high)
        if not levels:
            raise SpecError(f"{where}: pow2 range holds no power of two, got {show(arg)}")
        return Param(name, "pow2", _num(low), _num(high), levels)
    return Param(name, scale, float(low), float(high))


def _num(x: float) -> float:
    """Keep integral bounds as ints (``16``, not ``16.0``) so the YAML form stays as written."""
    return int(x) if is_int(x) else float(x)
