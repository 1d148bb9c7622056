"""Draw concrete configs from a :class:`Space`: random, scrambled Sobol, or an even grid.

Values are drawn uniformly in each param's own coordinate (see :mod:`search_spaces.params`), so
``loguniform [1e-4, 1]`` puts a quarter of the draws in each decade.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from search_spaces.checks import show
from search_spaces.errors import SpecError
from search_spaces.params import Param
from search_spaces.space import Space

SAMPLERS = ("random", "sobol", "grid")


def sample_configs(space: Space, n: int, sampler: str = "random", seed: int = 0) -> list[dict[str, Any]]:
    """Draw configs (real values, python scalars, every param of the space) without running anything.

    ``random`` and ``sobol`` draw `n` points for the non-grid params and cross them with every
    combination of the ``grid`` params (``n × |grid product|`` configs). ``grid`` enumerates an even
    grid with at most `n` points (more only when the ``grid`` entries alone cross to more): see
    :func:`grid_shape` for how levels are shared out and :func:`grid_levels` for where they sit.

    Args:
        space: the space to draw from.
        n: number of draws (for ``grid``: the budget of grid points).
        sampler: ``random``, ``sobol`` or ``grid``.
        seed: the same (space, n, sampler, seed) always gives the same list.

    Example:
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}, "epochs": 20})
        >>> configs = sample_configs(space, 3, "sobol", seed=1)
        >>> len(configs), sorted(configs[0])
        (3, ['epochs', 'lr'])
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SpecError(f"samples: must be an integer ≥ 1, got {show(n)}")
    if sampler == "grid":
        return _grid(space, n)
    if sampler not in SAMPLERS:
        raise SpecError(f"sampler: unknown sampler {show(sampler)} (choose {', '.join(SAMPLERS)})")
    tuned = space.tuned()
    grid_params = [p for p in tuned if p.is_grid]
    drawn = [p for p in tuned if not p.is_grid]
    combos = list(itertools.product(*(p.values for p in grid_params)))
    total = n * len(combos)
    units = _unit_points(total, len(drawn), sampler, seed)
    # column by column (each drawn param's values at once), then one config per row, in the space's order
    columns: dict[str, Any] = {p.name: [_py(v) for v in p.from_units(units[:, j])] for j, p in enumerate(drawn)}
    for g, param in enumerate(grid_params):
        columns[param.name] = [_py(combos[row % len(combos)][g]) for row in range(total)]
    fixed = _fixed_values(space)
    ordered = [columns[name] if name in columns else itertools.repeat(fixed[name], total) for name in space]
    if not ordered:  # an empty space: empty configs
        return [{} for _ in range(total)]
    return [dict(zip(space, row, strict=True)) for row in zip(*ordered, strict=True)]


def baseline_config(space: Space) -> dict[str, Any]:
    """The space's baseline: each tuned param at its ``default:``, or, without one, at the middle of its range in
    its own coordinate (a choice: its middle value); fixed params at their value. What `sweep train` trains
    when every param has a default, and what a sweep trains first to measure its winner against.

    Example:
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 1], "default": 0.003},
        ...                          "batch_size": {"pow2": [16, 256]}})
        >>> baseline_config(space)
        {'lr': 0.003, 'batch_size': 64}
    """
    return _full_config(space, {p.name: grid_levels(p, 1)[0] for p in space.tuned()})


def _unit_points(count: int, dims: int, sampler: str, seed: int) -> np.ndarray:
    """`count` points in [0, 1)^dims: independent uniforms or a scrambled Sobol sequence."""
    if dims == 0:
        return np.zeros((count, 0))
    if sampler == "random":
        return np.random.default_rng(seed).random((count, dims))
    from scipy.stats import qmc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "balance properties ... power of 2"
        points = qmc.Sobol(d=dims, scramble=True, seed=seed).random(count)
    return np.asarray(points)


def _full_config(space: Space, chosen: dict[str, Any]) -> dict[str, Any]:
    """Every param in space order: drawn values from `chosen`, fixed ones at their value."""
    config = {}
    for name, param in space.items():
        value = chosen[name] if name in chosen else param.from_unit(0.0)
        config[name] = _py(value)
    return config


def _fixed_values(space: Space) -> dict[str, Any]:
    """What :func:`_full_config` gives each param that is not drawn: its value (a fixed param's only one)."""
    return {name: _py(param.from_unit(0.0)) for name, param in space.items() if param.is_fixed}


def _py(value: Any) -> Any:
    """numpy scalars -> python scalars."""
    return value.item() if isinstance(value, np.generic) else value


def grid_levels(param: Param, k: int) -> list[Any]:
    """`k` grid values of one tuned param, evenly spread in its own coordinate.

    A continuous range (and an int range with more than `k` values) is cut into `k` equal cells in the own
    coordinate and the grid takes each cell's centre, so no value sits on a bound: the bounds of a
    coarse range are usually its worst values (lr = 1, β = 0.999), and two endpoints say little about
    the middle. A discrete param with more than `k` levels (int, pow2, choice) takes the level at the
    centre of each of `k` equal cells of its list; with at most `k` levels it takes them all. ``k = 1``
    gives the default when the param has one, else the centre.

    Example:
        >>> grid_levels(Param.from_entry("lr", {"loguniform": [1e-4, 1]}), 2)
        [0.001, 0.1]
        >>> grid_levels(Param.from_entry("batch_size", {"pow2": [16, 256]}), 2)
        [32, 128]
    """
    if k < 1:
        raise ValueError(f"grid_levels: k must be ≥ 1, got {k}")
    levels = param.levels()
    if k == 1 and param.default is not None and param.contains(param.default):
        return [param.default]
    if levels is not None and len(levels) <= k:
        return levels
    if levels is not None:  # the same cells over the list of levels (evenly spaced in int's and pow2's coordinate)
        return [levels[int((i + 0.5) * len(levels) / k)] for i in range(k)]
    lo, hi = param.coord_bounds()
    points = [_round_level(param.from_coord(lo + (hi - lo) * (i + 0.5) / k)) for i in range(k)]
    return sorted(points)  # ascending values, also where the coordinate runs backwards (beta)


def _round_level(value: float) -> float:
    """Six significant digits: 0.001 rather than 0.0010000000000000002 in a printed grid (and β < 1 kept)."""
    return float(f"{value:.6g}")


def grid_shape(space: Space, n: int) -> dict[str, int]:
    """How many grid levels each tuned param gets so that the grid holds at most `n` points.

    ``grid`` entries always keep all their values (the user listed them to be crossed). The other params
    start at one level (held at their default or centre) and gain levels in turn, lowest tier first
    (the learning rate before momentum before decay), while the product stays within `n`. So ``-n 3``
    gives three learning rates with everything else held, never a grid larger than asked for.

    Example:
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 1], "tier": 1},
        ...                          "momentum": {"beta": [0.8, 0.999], "default": 0.9, "tier": 2}})
        >>> grid_shape(space, 3), grid_shape(space, 9)
        ({'lr': 3, 'momentum': 1}, {'lr': 3, 'momentum': 3})
    """
    tuned = space.tuned()
    shape = {p.name: (len(p.values) if p.is_grid else 1) for p in tuned}
    growable = sorted((p for p in tuned if not p.is_grid), key=lambda p: 99 if p.tier is None else p.tier)
    grown = True
    while grown:
        grown = False
        for param in growable:
            k = shape[param.name]
            if len(grid_levels(param, k + 1)) <= len(grid_levels(param, k)):
                continue  # every level already on the grid
            trial = {**shape, param.name: k + 1}
            if _grid_size(tuned, trial) <= n:
                shape, grown = trial, True
    return shape


def _grid_size(tuned: list[Param], shape: dict[str, int]) -> int:
    return math.prod(len(grid_levels(p, shape[p.name])) if not p.is_grid else len(p.values) for p in tuned)


def _grid(space: Space, n: int) -> list[dict[str, Any]]:
    tuned = space.tuned()
    shape = grid_shape(space, n)
    axes = [list(p.values) if p.is_grid else grid_levels(p, shape[p.name]) for p in tuned]
    return [
        _full_config(space, {p.name: v for p, v in zip(tuned, combo, strict=True)})
        for combo in itertools.product(*axes)
    ]
