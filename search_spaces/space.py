"""A search space: an ordered, immutable mapping from parameter name to :class:`Param`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from search_spaces.checks import fmt, join, show
from search_spaces.errors import SpecError
from search_spaces.params import Param


class Space(Mapping[str, Param]):
    """The parameters of a sweep, in spec order. Every "change" returns a new Space.

    Example:
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 1], "default": 0.05}, "epochs": 20})
        >>> space.names, [p.name for p in space.tuned()]
        (['lr', 'epochs'], ['lr'])
    """

    __slots__ = ("_params",)

    def __init__(self, params: Iterable[Param] = ()) -> None:
        table: dict[str, Param] = {}
        for param in params:
            if param.name in table:
                raise SpecError(f"space.{param.name}: defined twice")
            table[param.name] = param
        self._params = table

    # ----------------------------------------------------------------- mapping
    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __hash__(self) -> int:
        return hash(tuple(self._params))

    def __repr__(self) -> str:
        inner = ", ".join(f"{p.name}: {p.describe()}" for p in self._params.values())
        return f"Space({inner})"

    @property
    def names(self) -> list[str]:
        """Parameter names in order."""
        return list(self._params)

    # ----------------------------------------------------------------- (de)serialisation
    @classmethod
    def from_dict(cls, data: Any, where: str = "space") -> Space:
        """Parse the ``space:`` mapping of a spec (name -> entry); see :meth:`Param.from_entry`.

        Example:
            >>> Space.from_dict({"batch_size": {"pow2": [16, 256]}})["batch_size"].levels()
            [16, 32, 64, 128, 256]
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise SpecError(f"{where}: must be a mapping of name -> entry, got {show(data)}")
        params = []
        for name, entry in data.items():
            if not isinstance(name, str) or not name.strip():
                raise SpecError(f"{where}: parameter names must be non-empty strings, got {show(name)}")
            params.append(Param.from_entry(name, entry, join(where, name)))
        return cls(params)

    def to_dict(self) -> dict[str, Any]:
        """The ``space:`` mapping; ``Space.from_dict(s.to_dict()) == s``."""
        return {name: param.to_dict() for name, param in self._params.items()}

    # ----------------------------------------------------------------- queries
    def tuned(self) -> list[Param]:
        """The params that vary (not fixed)."""
        return [p for p in self._params.values() if not p.is_fixed]

    def require_parameters(self) -> Space:
        """This space, unless it is empty (nothing to tune): the rule of every command that draws from a spec.

        Example:
            >>> Space().require_parameters()  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            search_spaces.errors.SpecError: space: is empty, so there is nothing to tune: add a parameter, e.g. ...
        """
        if not self._params:
            raise SpecError(
                "space: is empty, so there is nothing to tune: add a parameter, e.g. lr: {loguniform: [1e-4, 1]}"
            )
        return self

    def tiers(self) -> list[int]:
        """The tiers present, sorted."""
        return sorted({p.tier for p in self._params.values() if p.tier is not None})

    def describe_rows(self) -> list[dict[str, Any]]:
        """One row per param for ``sweep validate``: name, scale, range, default, tier."""
        return [
            {
                "name": p.name,
                "scale": p.scale,
                "range": p.range_text(),
                "default": "" if p.default is None or p.is_constant else fmt(p.default),
                "tier": "" if p.tier is None else str(p.tier),
            }
            for p in self._params.values()
        ]

    # ----------------------------------------------------------------- derived spaces
    def with_param(self, param: Param) -> Space:
        """Replace the param of the same name (in place in the order), or append it."""
        params = dict(self._params)
        params[param.name] = param
        return Space(params.values())

    def hold(self, name: str, value: Any) -> Space:
        """Fix `name` at `value` (``--set name=value``); an unknown name is added as a fixed param.

        Example:
            >>> Space.from_dict({"lr": {"uniform": [0, 1]}}).hold("lr", 0.1)["lr"].describe()
            'value 0.1'
        """
        old = self._params.get(name)
        tier = old.tier if old is not None else None
        return self.with_param(Param.constant(name, value, tier))

    def select_tiers(self, tiers: Iterable[int]) -> Space:
        """Tune only the params of the given tiers (and the untiered ones); hold the rest at default.

        Example:
            >>> s = Space.from_dict({"lr": {"loguniform": [1e-4, 1], "tier": 1},
            ...                      "layers": {"int": [1, 3], "default": 1, "tier": 3}})
            >>> [p.name for p in s.select_tiers({1}).tuned()]
            ['lr']
        """
        keep = set(tiers)
        present = set(self.tiers())
        for tier in sorted(keep - present):  # a typo would hold every parameter at its default: N equal trials
            if not present:
                raise SpecError(f"--tier {tier}: no parameter of the space has a tier: add tier: N to the ones "
                                "to tune first, or drop --tier")  # fmt: skip
            raise SpecError(f"--tier {tier}: no parameter of the space has tier {tier} (its tiers: "
                            f"{', '.join(map(str, sorted(present)))}): choose one of those")  # fmt: skip
        params = []
        for param in self._params.values():
            if param.tier is None or param.tier in keep or param.is_constant:
                params.append(param)
                continue
            if param.default is None:
                raise SpecError(
                    f"space.{param.name}: cannot hold it fixed for tier selection: it has no default "
                    f"(add default: or select tier {param.tier})"
                )
            params.append(Param.constant(param.name, param.default, param.tier))
        return Space(params)
