"""Ray Tune's form of a space, from what each scale says in library-neutral terms (nothing per scale here).

A param's ``kind`` picks the form: ``fixed`` stays a plain value, ``grid`` becomes Ray's ``grid_search``,
``choice`` Ray's ``choice`` over its levels. A ``sampled`` param becomes Ray's native ``uniform``,
``loguniform`` or ``randint`` when its :class:`~search_spaces.scales.Suggestion` is a plain range of values
(external searchers such as Optuna and HyperOpt understand those), else a :class:`UnitDomain` that draws
u ~ U[0, 1) and maps it with ``param.from_unit`` (beta, and any scale sampled in its own coordinate).
Ray's variant generator (random and grid search) samples every domain here; external searchers do not
know :class:`UnitDomain`'s sampler.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ray import tune
from ray.tune.search.sample import Domain, Float, Sampler, _BackwardsCompatibleNumpyRng

from search_spaces import Param, Space


class _FromUnit(Sampler):
    """Uniform u in [0, 1), mapped by the param's scale (uniform in its own coordinate)."""

    def sample(self, domain: Any, config: Any = None, size: int = 1, random_state: Any = None) -> Any:
        if not isinstance(random_state, _BackwardsCompatibleNumpyRng):
            random_state = _BackwardsCompatibleNumpyRng(random_state)
        items = [domain.param.from_unit(u) for u in random_state.uniform(0.0, 1.0, size=size)]
        return np.asarray(items) if len(items) > 1 else items[0]

    def __str__(self) -> str:
        return "FromUnit"


class UnitDomain(Float):
    """A param's range as a Ray domain sampled through ``param.from_unit`` (module level, so it pickles
    into Ray's workers).

    Example:
        >>> domain = UnitDomain(Param.from_entry("m", {"beta": [0.9, 0.999]}))
        >>> 0.9 <= domain.sample(random_state=0) <= 0.999
        True
    """

    def __init__(self, param: Param) -> None:
        low, high = param.extent()
        super().__init__(float(low), float(high))
        self.param = param
        self.set_sampler(_FromUnit())

    def cast(self, value: Any) -> Any:
        return value  # from_unit already gives the scale's own type

    def is_valid(self, value: Any) -> bool:
        return self.param.contains(value)

    @property
    def domain_str(self) -> str:
        return self.param.describe()


def to_tune_domain(param: Param) -> Domain | Any:
    """One param as a Ray Tune domain (a fixed value stays a plain value; grid is Ray's dict form).

    Example:
        >>> to_tune_domain(Param.from_entry("bs", {"pow2": [16, 64]})).categories
        [16, 32, 64]
    """
    if param.kind == "fixed":
        return (param.levels() or [param.default])[0]
    if param.kind == "grid":
        return tune.grid_search(param.levels() or [])
    if param.kind == "choice":
        return tune.choice(param.levels() or [])
    hint = param.scale_type.suggestion(param)
    if not hint.in_coordinate and hint.kind == "int":
        return (tune.lograndint if hint.log else tune.randint)(int(hint.low), int(hint.high) + 1)
    if not hint.in_coordinate and hint.kind == "float":
        return (tune.loguniform if hint.log else tune.uniform)(hint.low, hint.high)
    return UnitDomain(param)


def to_tune_domains(space: Space) -> dict[str, Domain | Any]:
    """Every param of `space` as a Ray Tune domain, for ``Tuner(param_space=...)``.

    Example:
        >>> from search_spaces import load_spec
        >>> to_tune_domains(load_spec("digits-momentum").space)["epochs"]
        20
    """
    return {name: to_tune_domain(param) for name, param in space.items()}
