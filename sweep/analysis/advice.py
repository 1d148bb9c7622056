"""One piece of the recipe advisor's advice, and how advice writes the values it quotes.

The rules that produce it are :mod:`sweep.analysis.advice_edge`, :mod:`sweep.analysis.advice_bias_variance`
and :mod:`sweep.analysis.advice_tiers`; :mod:`sweep.analysis.advisor` applies them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from search_spaces import Param

TOP_FRACTION = 0.25  # "the best trials" every rule reads: the top quarter of the finished ones


@dataclass(frozen=True)
class Advice:
    """One piece of advice.

    Attributes:
        kind: ``edge``, ``bias``, ``variance``, ``fit``, ``tiers`` or ``skipped``.
        text: one line, naming the figures it rests on.
        param: the parameter it is about, when there is one.
        change: what the next spec does to carry it out (an edge's widened :class:`~search_spaces.Param`),
            for :mod:`sweep.analysis.next_sweep`; None when the line changes nothing by itself.
    """

    kind: str
    text: str
    param: str | None = None
    change: Any = None


def best_quarter(ranked: pd.DataFrame, at_least: int = 1) -> pd.DataFrame:
    """The best :data:`TOP_FRACTION` of the ranked trials, at least `at_least` of them."""
    return ranked.head(max(at_least, math.ceil(TOP_FRACTION * len(ranked))))


def tidy_range(param: Param) -> Param:
    """A range advice changed, as it writes it: continuous bounds to six significant digits (as people write a
    range), the default kept only while it lies inside."""
    if param.is_continuous:
        low, high = (float(f"{float(v):.6g}") for v in param.extent())
        param = replace(param, low=low, high=high)
    inside = param.default is not None and param.contains(param.default)
    return replace(param, default=param.default if inside else None)


def format_value(value: Any) -> str:
    """A value as advice quotes it: floats to three significant figures.

    Example:
        >>> format_value(0.000123456), format_value(64)
        ('0.000123', '64')
    """
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def plain_value(value: Any) -> Any:
    """A table cell as a plain Python value: numpy scalars unwrapped, whole floats as ints (a batch size of 64).

    Example:
        >>> import numpy as np
        >>> plain_value(np.float64(64.0)), plain_value(0.5)
        (64, 0.5)
    """
    value = value.item() if hasattr(value, "item") else value
    return int(value) if isinstance(value, float) and value.is_integer() else value


def is_missing(value: Any) -> bool:
    """True for an empty cell (None or NaN): a parameter the trial did not have."""
    return value is None or (isinstance(value, float) and math.isnan(value))
