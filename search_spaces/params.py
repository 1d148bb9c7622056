"""One hyperparameter: its scale's name, its range or values, default and tier.

Every scale-specific decision is the scale's (see :mod:`search_spaces.scales`); a ``Param`` holds the data
and hands each question to ``get_scale(self.scale)``. It stays a frozen dataclass with the scale's name as a
string, since Ray pickles it into experiment state and tests compare params.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from search_spaces.checks import fmt, is_int, join, reject_unknown, show
from search_spaces.errors import SpecError
from search_spaces.scales import SCALES as REGISTRY
from search_spaces.scales import Scale, get_scale, pow2_levels

SCALES: tuple[str, ...] = tuple(REGISTRY)
NUMERIC_SCALES = tuple(name for name, scale in REGISTRY.items() if scale.numeric)
CONTINUOUS_SCALES = tuple(name for name, scale in REGISTRY.items() if scale.continuous)
LIST_SCALES = tuple(name for name, scale in REGISTRY.items() if scale.listed)
ENTRY_KEYS = (*SCALES, "default", "tier")
CONSTANT_SCALE = "value"  # the scale of a bare scalar entry and of a held param

__all__ = [
    "CONSTANT_SCALE",
    "CONTINUOUS_SCALES",
    "ENTRY_KEYS",
    "LIST_SCALES",
    "NUMERIC_SCALES",
    "SCALES",
    "Param",
    "fmt",
    "pow2_levels",
]


@dataclass(frozen=True)
class Param:
    """A hyperparameter of a sweep's space.

    Attributes:
        name: the config key the trainable reads.
        scale: the name of one of :data:`SCALES`.
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
            return cls.constant(name, entry)
        reject_unknown(where, entry, ENTRY_KEYS)
        keys = [k for k in entry if k in SCALES]
        if len(keys) != 1:
            got = ", ".join(keys) if keys else "none"
            raise SpecError(f"{where}: needs exactly one scale key ({', '.join(SCALES)}), got {got}")
        scale = get_scale(keys[0])
        tier = entry.get("tier")
        if tier is not None and (not is_int(tier) or not 1 <= tier <= 3):
            raise SpecError(f"{join(where, 'tier')}: must be 1, 2 or 3, got {show(tier)}")
        param = cls(name, scale.name, *scale.parse(entry[scale.name], where), tier=None if tier is None else int(tier))
        if "default" in entry:
            param = replace(param, default=scale.check_default(param, entry["default"], where))
        return param

    @classmethod
    def constant(cls, name: str, value: Any, tier: int | None = None) -> Param:
        """A param fixed at `value` (a bare scalar entry, ``--set``, a param held for tier selection)."""
        return cls(name, CONSTANT_SCALE, values=(value,), default=value, tier=tier)

    def to_dict(self) -> Any:
        """The YAML entry form; ``Param.from_entry(name, p.to_dict()) == p``."""
        return self.scale_type.entry(self)

    # ----------------------------------------------------------------- what the scale says
    @property
    def scale_type(self) -> Scale:
        """The scale's implementation: every scale-specific question goes to it."""
        return get_scale(self.scale)

    @property
    def kind(self) -> str:
        """``fixed``, ``grid``, ``choice`` or ``sampled``: how a searcher treats the param."""
        return self.scale_type.kind

    @property
    def is_numeric(self) -> bool:
        """Scales with an ordered coordinate (loguniform, beta, uniform, int, pow2)."""
        return self.scale_type.numeric

    @property
    def is_continuous(self) -> bool:
        """Scales whose values fill an interval (loguniform, beta, uniform)."""
        return self.scale_type.continuous

    @property
    def is_constant(self) -> bool:
        """A ``value`` param: fixed by declaration (its default is its value)."""
        return self.scale_type.constant

    @property
    def is_grid(self) -> bool:
        """A ``grid`` param: every value is run, crossed with the rest."""
        return self.scale_type.kind == "grid"

    @property
    def is_fixed(self) -> bool:
        """A ``value`` param, or one whose range holds a single value."""
        return self.scale_type.is_fixed(self)

    def levels(self) -> list[Any] | None:
        """Every value of a discrete scale (choice, grid, value, pow2, int); None for continuous ones."""
        return self.scale_type.levels(self)

    def contains(self, value: Any) -> bool:
        """Whether `value` lies in the param's range or values."""
        return self.scale_type.contains(self, value)

    def describe(self) -> str:
        """``loguniform [0.0001, 1]``, ``choice [none, inverse_time]``, ``value 20``."""
        return self.scale_type.describe(self)

    def range_text(self) -> str:
        """The bounds or values alone: ``[0.0001, 1]``."""
        return self.scale_type.range_text(self)

    # ----------------------------------------------------------------- coordinates
    def from_unit(self, u: float) -> Any:
        """Map u in [0, 1] to a value, uniformly in the param's own coordinate.

        Example:
            >>> Param.from_entry("m", {"beta": [0.9, 0.999]}).from_unit(0.5)
            0.99
        """
        return self.scale_type.from_unit(self, min(max(float(u), 0.0), 1.0))

    def from_units(self, units: np.ndarray) -> list[Any]:
        """:meth:`from_unit` of each of `units`: the same values, for drawing many at once.

        Example:
            >>> Param.from_entry("m", {"beta": [0.9, 0.999]}).from_units(np.array([0.0, 0.5]))
            [0.999, 0.99]
        """
        return self.scale_type.from_units(self, np.minimum(np.maximum(np.asarray(units, dtype=float), 0.0), 1.0))

    def coord(self, value: Any) -> float:
        """The param's own coordinate of `value`: log10 v, log10(1 - v), v, v or log2 v."""
        return self.scale_type.coord(self, value)

    def from_coord(self, c: float) -> Any:
        """Inverse of :meth:`coord`; ``int`` rounds, ``pow2`` snaps to the nearest level."""
        return self.scale_type.from_coord(self, c)

    def coord_bounds(self) -> tuple[float, float]:
        """(min, max) of the range in the param's own coordinate (beta's coordinate runs backwards)."""
        return self.scale_type.coord_bounds(self)

    def extent(self) -> tuple[Any, Any]:
        """The smallest and largest value of a numeric param (pow2: its levels' ends)."""
        return self.scale_type.extent(self)

    def bounds(self) -> tuple[float, float]:
        """(low, high) of a numeric param, as written."""
        if self.low is None or self.high is None:
            raise ValueError(f"{self.name}: {self.scale} has no bounds")
        return self.low, self.high
