"""`sweep analyze`: what a finished sweep says about its hyperparameters, from the files on disk alone.

The input is a :class:`~sweep.store.results.SweepResult`, read by `sweep.load` from a sweep directory (trials,
history, each round's space) or from a table written by `sweep export` (trials only; scales are then inferred
from the values). :func:`analyze` computes importances, writes the plots and the HTML report.

Example:
    >>> from sweep.analysis import analyze
    >>> analysis = analyze("sweeps/digits-momentum-20261122-120000")  # doctest: +SKIP
    >>> print(analysis.text())  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from search_spaces import Param
from sweep.analysis.advice import Advice
from sweep.analysis.advisor import advice_lines, advise
from sweep.analysis.next_sweep import next_spec
from sweep.analysis.report import Analysis, analyze
from sweep.store.results import infer_param


def coord_of(param: Param, value: Any) -> float:
    """The param's own coordinate; a categorical's position among its values (ordinal code)."""
    if param.is_numeric:
        return float(param.coord(float(value)))
    levels = [str(v) for v in param.values]
    text = str(value)
    return float(levels.index(text)) if text in levels else float("nan")


def categorical_levels(param: Param, values: pd.Series) -> Param:
    """A categorical param whose levels include every value seen (a space may list fewer than ran)."""
    seen = [v for v in values.dropna().unique() if str(v) not in {str(x) for x in param.values}]
    return Param(param.name, param.scale, values=tuple(param.values) + tuple(sorted(seen, key=str)))


__all__ = [
    "Advice",
    "Analysis",
    "advice_lines",
    "advise",
    "analyze",
    "coord_of",
    "infer_param",
    "next_spec",
]
