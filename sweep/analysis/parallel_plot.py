"""The parallel-coordinates plot: the best trials as lines across one axis per hyperparameter."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from search_spaces import Param
from sweep.analysis.param_plots import inactive, level_labels
from sweep.analysis.plot_basics import new_figure
from sweep.store import schema as S

if TYPE_CHECKING:
    from sweep.store.results import SweepResult

PARALLEL_MIN, PARALLEL_FRACTION = 10, 0.25  # parallel coordinates: the best quarter, at least ten trials


def parallel_coordinates(result: SweepResult) -> Figure | None:
    """The best trials as lines across one normalised axis per parameter, coloured by their metric."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    from sweep.analysis.importance import design_matrix

    ranked = result.ranked(usable=True)
    names = list(result.params)
    if len(ranked) < 2 or not names:
        return None
    count = min(len(ranked), max(PARALLEL_MIN, math.ceil(PARALLEL_FRACTION * len(ranked))))
    top = ranked.head(count)
    coords = design_matrix(result.trials, result.params)  # axis ranges from every trial, not only the top
    lows, highs = coords.min(), coords.max()
    for name, param in result.params.items():
        if param.is_numeric and param.low is not None:
            low, high = param.coord_bounds()
            lows[name], highs[name] = min(low, lows[name]), max(high, highs[name])
    normalised = (design_matrix(top, result.params) - lows) / (highs - lows).replace(0, 1)
    for name, param in result.params.items():
        if param.scale_type.reversed:  # log10(1−β) falls as β grows: flip, so a larger β is drawn higher
            normalised[name] = 1.0 - normalised[name]
        normalised.loc[inactive(top, name).to_numpy(), name] = np.nan  # unused here: a gap in the line
    metric = pd.to_numeric(top[S.BEST]).to_numpy()
    norm = Normalize(metric.min(), metric.max())
    cmap = colormaps["viridis" if result.mode == "max" else "viridis_r"]
    figure, ax = new_figure(max(6.0, 1.6 * len(names) + 1.5), 4.6)
    xs = np.arange(len(names))
    for row in np.argsort(-metric if result.mode == "min" else metric):  # best drawn last, on top
        ax.plot(xs, normalised.iloc[row].to_numpy(), color=cmap(norm(metric[row])), lw=1.6, alpha=0.85)
    for i, (name, param) in enumerate(result.params.items()):
        ax.axvline(i, color="black", lw=0.8)
        for y, text in _axis_ends(param, float(lows[name]), float(highs[name]), result.trials[name]):
            ax.annotate(text, (i, y), xytext=(4, 0), textcoords="offset points", fontsize=7, va="center")
    ax.set_xticks(xs, [f"{n}\n({p.scale})" for n, p in result.params.items()])
    ax.set_yticks([0, 1], ["low", "high"])
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"top {count} trials in their own coordinates (normalised)")
    from matplotlib.cm import ScalarMappable

    figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=result.metric)
    return figure


def _axis_ends(param: Param, low: float, high: float, values: pd.Series) -> list[tuple[float, str]]:
    """Labels in real values along one normalised axis: its ends, or each level of a categorical."""
    if not param.is_numeric:
        levels = level_labels(param, values)
        span = max(len(levels) - 1, 1)
        return [(i / span, level) for i, level in enumerate(levels)]
    if param.scale_type.reversed:  # the axis is flipped: the smallest β (largest 1−β) at the bottom
        return [(0.0, f"{param.from_coord(high):.4g}"), (1.0, f"{param.from_coord(low):.4g}")]
    return [(0.0, f"{param.from_coord(low):.3g}"), (1.0, f"{param.from_coord(high):.3g}")]
