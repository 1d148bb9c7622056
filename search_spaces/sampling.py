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
    grid over all tuned params with at most about `n` points (see :func:`grid_levels`).

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
    grid_params = [p for p in tuned if p.scale == "grid"]
    drawn = [p for p in tuned if p.scale != "grid"]
    combos = list(itertools.product(*(p.values for p in grid_params)))
    total = n * len(combos)
    units = _unit_points(total, len(drawn), sampler, seed)
    configs = []
    for row in range(total):
        combo = combos[row % len(combos)]
        chosen: dict[str, Any] = {p.name: v for p, v in zip(grid_params, combo, strict=True)}
        chosen.update({p.name: p.from_unit(units[row, j]) for j, p in enumerate(drawn)})
        configs.append(_full_config(space, chosen))
    return configs


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


def _py(value: Any) -> Any:
    """numpy scalars -> python scalars."""
    return value.item() if isinstance(value, np.generic) else value


def grid_levels(param: Param, k: int) -> list[Any]:
    """The grid values of one tuned param: all levels of a discrete one with at most `k` of them
    (choice/grid/pow2 always all), else `k` points evenly spaced in the own coordinate, ends included.

    Example:
        >>> grid_levels(Param.from_entry("lr", {"loguniform": [1e-4, 1]}), 3)
        [0.0001, 0.01, 1.0]
    """
    levels = param.levels()
    if levels is not None and (param.scale != "int" or len(levels) <= k):
        return levels
    lo, hi = param.coord_bounds()
    points = [param.from_coord(lo + (hi - lo) * i / (k - 1)) for i in range(k)]
    if param.scale == "beta":
        points.reverse()  # beta's coordinate runs from high to low
    if param.low is not None and param.high is not None and param.scale != "int":
        points = [min(max(p, param.low), param.high) for p in points]
        points[0], points[-1] = param.low, param.high
    return list(dict.fromkeys(points))  # int rounding can repeat a level


def choose_grid_k(tuned: list[Param], n: int) -> int:
    """The largest k ≥ 2 whose grid has at most `n` points (2 if even that is over budget)."""
    if all(p.levels() is not None and p.scale != "int" for p in tuned):
        return 2  # the grid does not depend on k
    best = 2
    longest_int = max((len(p.levels() or []) for p in tuned if p.scale == "int"), default=0)
    any_continuous = any(p.levels() is None for p in tuned)
    k = 3
    while any_continuous or k <= longest_int:
        if math.prod(len(grid_levels(p, k)) for p in tuned) > n:
            break
        best = k
        k += 1
    return best


def _grid(space: Space, n: int) -> list[dict[str, Any]]:
    tuned = space.tuned()
    k = choose_grid_k(tuned, n)
    axes = [grid_levels(p, k) for p in tuned]
    return [
        _full_config(space, {p.name: v for p, v in zip(tuned, combo, strict=True)})
        for combo in itertools.product(*axes)
    ]
