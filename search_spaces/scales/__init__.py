"""Scales as plug-ins: one module per scale, each registered below by one line.

Everything that differs between scales (parsing the YAML argument, the coordinate, draws, zoom hooks, PBT
steps, plot axes, Optuna suggestions) is a method of :class:`Scale`; ``Param`` and the rest of the
package ask the scale instead of testing its name. To add a scale: write a module with a ``Scale``
subclass (see :mod:`search_spaces.scales.base`) and add one line to :data:`SCALES`;
``tests/search_spaces/test_scales_contract.py`` then checks it with the others. The order of :data:`SCALES` is the
order messages list them in.

Example:
    >>> from search_spaces import Param
    >>> get_scale("beta").coordinate_name(Param.from_entry("momentum", {"beta": [0.9, 0.999]}))
    'log10(1−momentum)'
"""

from __future__ import annotations

from search_spaces.scales.base import Axis, Kind, Parsed, Scale, Suggestion
from search_spaces.scales.beta import BetaScale
from search_spaces.scales.choice import ChoiceScale
from search_spaces.scales.grid import GridScale
from search_spaces.scales.integer import IntScale
from search_spaces.scales.loguniform import LogUniformScale
from search_spaces.scales.pow2 import Pow2Scale, pow2_levels
from search_spaces.scales.uniform import UniformScale
from search_spaces.scales.value import ValueScale

SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        LogUniformScale(),
        BetaScale(),
        UniformScale(),
        IntScale(),
        Pow2Scale(),
        ChoiceScale(),
        GridScale(),
        ValueScale(),
    )
}


def get_scale(name: str) -> Scale:
    """The registered scale called `name`.

    Raises:
        ValueError: no scale of that name (a spec's unknown scale key is refused earlier, as a SpecError).
    """
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r} (registered: {', '.join(SCALES)})") from None


__all__ = ["SCALES", "Axis", "Kind", "Parsed", "Scale", "Suggestion", "get_scale", "pow2_levels"]
