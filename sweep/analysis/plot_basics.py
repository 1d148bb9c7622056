"""What every plot of `sweep analyze` starts from: a blank figure on matplotlib's Agg canvas (no display, no
pyplot global state), and the mask that keeps non-finite metric values out of a plot."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def new_figure(width: float = 6.4, height: float = 4.2) -> tuple[Figure, Axes]:
    """A figure of `width` × `height` inches with one set of axes, laid out to fit its labels."""
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return figure, figure.add_subplot()


def finite(values: pd.Series) -> pd.Series:
    """True where a cell is a finite number (text, NaN and infinities are not drawn)."""
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.map(lambda v: math.isfinite(v))
