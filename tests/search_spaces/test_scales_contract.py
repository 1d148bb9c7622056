"""The contract every registered scale keeps: a new scale is covered here by being registered.

Each scale's own ``examples`` (valid YAML arguments) and ``invalid_examples`` drive the cases; nothing below
names a scale.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from search_spaces import Param, SpecError
from search_spaces.params import CONTINUOUS_SCALES, ENTRY_KEYS, LIST_SCALES, NUMERIC_SCALES, SCALES
from search_spaces.scales import SCALES as REGISTRY
from search_spaces.scales import Scale, get_scale

UNITS = [0.0, 0.05, 0.2, 0.37, 0.5, 0.63, 0.8, 0.95, 0.999, 1.0]
EXAMPLES = [(scale, arg) for scale in REGISTRY.values() for arg in scale.examples]
INVALID = [(scale, arg) for scale in REGISTRY.values() for arg in scale.invalid_examples]


def _id(case: Any) -> str:
    return case.name if isinstance(case, Scale) else repr(case)[:30]


def _param(scale: Scale, arg: Any) -> Param:
    return Param.from_entry("p", {scale.name: arg})


def _draws(param: Param) -> list[Any]:
    return [param.from_unit(u) for u in UNITS]


def test_every_scale_is_registered_under_its_name_with_examples() -> None:
    for name, scale in REGISTRY.items():
        assert scale.name == name and get_scale(name) is scale
        assert scale.kind in ("fixed", "grid", "choice", "sampled")
        assert scale.examples, f"{name}: give examples (valid arguments) for this contract test"
        assert scale.invalid_examples or scale.constant, f"{name}: give invalid_examples"
        assert not scale.continuous or scale.numeric
    assert SCALES == tuple(REGISTRY) and ENTRY_KEYS[-2:] == ("default", "tier")
    assert set(CONTINUOUS_SCALES) <= set(NUMERIC_SCALES) and not set(LIST_SCALES) & set(NUMERIC_SCALES)
    with pytest.raises(ValueError, match="unknown scale 'nope'"):
        get_scale("nope")


@pytest.mark.parametrize(("scale", "arg"), EXAMPLES, ids=_id)
def test_entry_round_trips_with_default_and_tier(scale: Scale, arg: Any) -> None:
    param = _param(scale, arg)
    assert param.scale == scale.name and param.scale_type is scale
    assert Param.from_entry("p", param.to_dict()) == param
    entry = {scale.name: arg, "tier": 2}
    if not scale.constant:
        entry["default"] = param.from_unit(0.37)
    full = Param.from_entry("p", entry)
    assert Param.from_entry("p", full.to_dict()) == full and full.contains(full.default)


@pytest.mark.parametrize(("scale", "arg"), EXAMPLES, ids=_id)
def test_draws_stay_in_range_and_cover_the_levels(scale: Scale, arg: Any) -> None:
    param = _param(scale, arg)
    levels = param.levels()
    assert (levels is None) == scale.continuous
    for value in _draws(param):
        assert param.contains(value), value
        if levels is not None:
            assert value in levels
        if scale.numeric:
            low, high = param.extent()
            assert low <= value <= high
    if levels is not None:
        n = len(levels)
        assert [param.from_unit((i + 0.5) / n) for i in range(n)] == levels  # equal cells, in order
        assert param.is_fixed == (n == 1)
    if scale.kind in ("fixed", "grid", "choice"):
        assert levels is not None
    if scale.constant:
        assert param.is_fixed and param.kind == "fixed"


@pytest.mark.parametrize(("scale", "arg"), EXAMPLES, ids=_id)
def test_drawing_many_at_once_gives_exactly_the_values_drawn_one_by_one(scale: Scale, arg: Any) -> None:
    param = _param(scale, arg)
    units = [*UNITS, *np.random.default_rng(0).random(200).tolist(), -0.5, 1.5]  # out of [0, 1]: clamped alike
    many = param.from_units(np.array(units))
    assert [repr(v) for v in many] == [repr(param.from_unit(u)) for u in units]  # repr: the same bits and type


@pytest.mark.parametrize(("scale", "arg"), EXAMPLES, ids=_id)
def test_coordinate_is_monotone_and_inverts(scale: Scale, arg: Any) -> None:
    param = _param(scale, arg)
    if not scale.numeric:
        with pytest.raises(ValueError):
            param.coord(param.from_unit(0.5))
        return
    lo, hi = param.coord_bounds()
    assert lo <= hi
    values = _draws(param)
    for value in values:
        c = param.coord(value)
        assert lo - 1e-9 <= c <= hi + 1e-9
        assert param.from_coord(c) == pytest.approx(value, rel=1e-9, abs=1e-12)
    # from_unit is uniform in the coordinate: its midpoint is the coordinate's midpoint (continuous scales)
    if scale.continuous:
        assert param.coord(param.from_unit(0.5)) == pytest.approx((lo + hi) / 2)
    # `reversed` says which way the coordinate runs
    coords = [param.coord(v) for v in sorted(set(values))]
    if len(coords) > 1:
        rising = all(a < b for a, b in zip(coords, coords[1:], strict=False))
        falling = all(a > b for a, b in zip(coords, coords[1:], strict=False))
        assert falling if scale.reversed else rising


@pytest.mark.parametrize(("scale", "arg"), EXAMPLES, ids=_id)
def test_describe_is_one_line_naming_the_scale(scale: Scale, arg: Any) -> None:
    param = _param(scale, arg)
    text = param.describe()
    assert "\n" not in text and text.startswith(scale.name) and param.range_text() in text


@pytest.mark.parametrize(("scale", "arg"), EXAMPLES, ids=_id)
def test_perturbation_stays_in_range(scale: Scale, arg: Any) -> None:
    param = _param(scale, arg)
    rng = random.Random(0)
    for start in _draws(param):
        value = start
        for _ in range(20):
            value = scale.perturb(param, value, rng, (0.8, 1.2), 0.25)
            assert param.contains(value), (start, value)
        if scale.constant:
            assert value == start


@pytest.mark.parametrize(("scale", "arg"), EXAMPLES, ids=_id)
def test_axis_hints_match_the_coordinate(scale: Scale, arg: Any) -> None:
    param = _param(scale, arg)
    axis = scale.axis(param)
    assert axis.categorical == (not scale.numeric) and "\n" not in axis.label and param.name in axis.label
    if not scale.numeric:
        return
    for value in _draws(param):
        number = axis.plotted(value)
        drawn = math.log(number, axis.log_base) if axis.log_base else number  # where it lands on the axis
        assert drawn == pytest.approx(param.coord(value), abs=1e-9)
    assert axis.complement == scale.reversed  # an axis of 1 − value is drawn inverted, as the coordinate runs
    if axis.ticks:  # fixed ticks sit on the levels
        assert sorted(axis.ticks) == sorted(axis.plotted(v) for v in param.levels() or [])


@pytest.mark.parametrize(("scale", "arg"), EXAMPLES, ids=_id)
def test_suggestion_agrees_with_from_unit(scale: Scale, arg: Any) -> None:
    param = _param(scale, arg)
    hint = scale.suggestion(param)
    if hint.kind == "categorical":
        assert list(hint.choices) == param.levels()
        return
    assert hint.low <= hint.high
    for u in UNITS:
        number = hint.low + u * (hint.high - hint.low)
        if hint.log:
            number = math.exp(math.log(hint.low) + u * (math.log(hint.high) - math.log(hint.low)))
        if hint.kind == "int":
            number = round(number)
        value = param.from_coord(number) if hint.in_coordinate else number
        if scale.continuous:  # the same distribution: the same value at the same quantile
            assert value == pytest.approx(param.from_unit(u))
        else:
            assert param.contains(value), (number, value)


@pytest.mark.parametrize(("scale", "arg"), [c for c in EXAMPLES if c[0].numeric], ids=_id)
def test_zoom_hooks_keep_the_range(scale: Scale, arg: Any) -> None:
    param = _param(scale, arg)
    lo, hi = param.coord_bounds()
    limit_lo, limit_hi = scale.hard_limits(param)
    assert limit_lo <= lo <= hi <= limit_hi
    whole = scale.span(param, lo, hi)
    assert whole.scale == param.scale and whole.extent() == pytest.approx(param.extent())
    assert scale.union(whole, param).extent() == pytest.approx(param.extent())
    new_lo, new_hi = scale.expansion_limits(param, lo, lo - 100, hi + 100)
    assert limit_lo <= new_lo <= lo and hi <= new_hi <= limit_hi
    assert scale.loose_bounds(whole) is None


@pytest.mark.parametrize(("scale", "arg"), INVALID, ids=_id)
def test_an_invalid_argument_is_a_one_line_spec_error(scale: Scale, arg: Any) -> None:
    with pytest.raises(SpecError) as caught:
        Param.from_entry("p", {scale.name: arg})
    text = str(caught.value)
    assert text.startswith(f"space.p: {scale.name} ") and "\n" not in text, text


def test_search_spaces_does_not_import_ray() -> None:
    code = """
import sys
from search_spaces import Space, load_spec, sample_configs, zoom
from search_spaces.sampling import grid_levels
space = load_spec("digits-momentum").space
configs = sample_configs(space, 4, "sobol", seed=0) + sample_configs(space, 4, "grid")
zoom(space, space, [(c, float(i)) for i, c in enumerate(configs)], "max", 0.5, 0.1, expand=True)
[grid_levels(p, 3) for p in space.tuned()]
loaded = [m for m in sys.modules if m == "ray" or m.startswith("ray.")]
assert not loaded, loaded
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
