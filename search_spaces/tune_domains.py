"""Ray Tune's form of a space: native ``tune.*`` domains, plus a log-scale domain for β.

Ray is imported lazily, inside the functions, so ``import search_spaces`` stays fast. The β domain
class is built on first use and published as a module attribute (PEP 562 ``__getattr__``), so
pickled search spaces resolve ``search_spaces.tune_domains.BetaDomain`` in worker processes too.

Ray's variant generator (random and grid search) samples every domain here; external searchers
(Optuna, HyperOpt) do not know the β sampler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from search_spaces.params import Param

if TYPE_CHECKING:
    from ray.tune.search.sample import Domain

    from search_spaces.space import Space

_LAZY_NAMES = ("BetaDomain",)


def to_tune_domain(param: Param) -> Domain | Any:
    """One param as a Ray Tune domain (a fixed value stays a plain value; grid is Ray's dict form).

    Example:
        >>> domain = to_tune_domain(Param.from_entry("m", {"beta": [0.9, 0.999]}))
        >>> 0.9 <= domain.sample(random_state=0) <= 0.999
        True
    """
    from ray import tune

    if param.scale == "value":
        return param.values[0]
    if param.scale == "grid":
        return tune.grid_search(list(param.values))
    if param.scale in ("choice", "pow2"):
        return tune.choice(list(param.values))
    low, high = param.bounds()
    if param.scale == "loguniform":
        return tune.loguniform(low, high)
    if param.scale == "uniform":
        return tune.uniform(low, high)
    if param.scale == "int":
        return tune.randint(int(low), int(high) + 1)
    if param.scale == "beta":
        return beta(low, high)
    raise ValueError(f"{param.name}: no Ray Tune domain for scale {param.scale!r}")


def to_tune_domains(space: Space) -> dict[str, Domain | Any]:
    """Every param of `space` as a Ray Tune domain, for ``Tuner(param_space=...)``.

    Example:
        >>> from search_spaces import load_spec
        >>> to_tune_domains(load_spec("digits-momentum").space)["epochs"]
        20
    """
    return {name: to_tune_domain(param) for name, param in space.items()}


def beta(low: float, high: float) -> Domain:
    """A float domain for momentum-like β: r ~ U[log10(1 - high), log10(1 - low)], value 1 - 10^r."""
    return __getattr__("BetaDomain")(low, high)


def _build_beta_domain() -> type:
    from ray.tune.search.sample import Float, Sampler, _BackwardsCompatibleNumpyRng

    class _LogOneMinus(Sampler):
        """Uniform in log10(1 - β)."""

        def sample(self, domain: Any, config: Any = None, size: int = 1, random_state: Any = None) -> Any:
            import numpy as np

            if not isinstance(random_state, _BackwardsCompatibleNumpyRng):
                random_state = _BackwardsCompatibleNumpyRng(random_state)
            lo, hi = np.log10(1.0 - domain.upper), np.log10(1.0 - domain.lower)
            items = 1.0 - 10.0 ** random_state.uniform(lo, hi, size=size)
            items = np.clip(items, domain.lower, domain.upper)
            return items if len(items) > 1 else domain.cast(items[0])

        def __str__(self) -> str:
            return "LogOneMinus"

    class BetaDomain(Float):
        """``Float(low, high)`` sampled uniformly in log10(1 - β) (momentum, Adam's β1/β2)."""

        def __init__(self, lower: float, upper: float) -> None:
            super().__init__(lower, upper)
            self.set_sampler(_LogOneMinus())

        @property
        def domain_str(self) -> str:
            return f"beta({self.lower}, {self.upper})"

    BetaDomain.__qualname__ = "BetaDomain"
    _LogOneMinus.__qualname__ = "BetaDomain._LogOneMinus"
    BetaDomain._LogOneMinus = _LogOneMinus  # type: ignore[attr-defined]
    return BetaDomain


def __getattr__(name: str) -> Any:
    """Build the ray-dependent classes on first access (keeps ray out of ``import search_spaces``)."""
    if name in _LAZY_NAMES:
        cls = globals().get(name)
        if cls is None:
            cls = _build_beta_domain()
            globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
