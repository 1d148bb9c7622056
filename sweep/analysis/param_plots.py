"""The plot of a sweep's metric against one hyperparameter, and the axis code that draws it on its own scale.

Every hyperparameter is drawn on the scale the sweep sampled it on, so a good region looks as wide as the
sweep treated it: lr on a log axis; momentum β as 1−β on a log axis labelled in β (0.9, 0.99, 0.999).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

from search_spaces import Param
from sweep.analysis.plot_basics import finite, new_figure
from sweep.store import schema as S

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sweep.store.results import SweepResult

# Parameters that only act under another's value: (the other, the values under which this one is unused).
# A trial's value of an unused parameter was sampled but never read, so the plots leave it out.
CONDITIONS: dict[str, tuple[str, tuple[str, ...]]] = {"decay_rate": ("lr_decay", ("none",))}


def inactive(trials: pd.DataFrame, name: str) -> pd.Series:
    """True for the trials whose `name` had no effect (e.g. ``decay_rate`` where ``lr_decay=none``).

    Example:
        >>> inactive(pd.DataFrame({"lr_decay": ["none", "step"], "decay_rate": [0.1, 0.5]}), "decay_rate").tolist()
        [True, False]
    """
    condition = CONDITIONS.get(name)
    if condition is None or condition[0] not in trials:
        return pd.Series(False, index=trials.index)
    other, unused = condition
    return trials[other].astype(str).isin(unused)


def metric_vs_param(result: SweepResult, name: str, param: Param) -> Figure:
    """Each trial's best metric against one parameter on its own scale, a colour per round.

    Each round's sampled range is shaded in its colour, so the zoom of coarse-to-fine rounds shows.
    """
    from matplotlib import colormaps

    figure, ax = new_figure()
    trials = result.trials[finite(result.trials[S.BEST]) & ~inactive(result.trials, name)]
    levels = level_labels(param, result.trials[name]) if not param.is_numeric else []
    rounds = trials[S.ROUND] if S.ROUND in trials else pd.Series(1, index=trials.index)
    for number in sorted(rounds.dropna().unique()):
        group = trials[rounds == number]
        colour = colormaps["tab10"]((int(number) - 1) % 10)
        x = _x_values(param, group[name], levels)
        pruned = (group[S.STATUS] == S.PRUNED).to_numpy() if S.STATUS in group else np.zeros(len(group), bool)
        y = pd.to_numeric(group[S.BEST]).to_numpy()
        ax.scatter(x[~pruned], y[~pruned], color=colour, s=22, label=f"round {int(number)}")
        if pruned.any():
            ax.scatter(
                x[pruned],
                y[pruned],
                facecolors="none",
                edgecolors=colour,
                s=22,
                label=f"round {int(number)} (pruned)",
            )
        space = result.rounds.get(int(number))
        if space is not None and name in space and space[name].is_numeric and not space[name].is_fixed:
            low, high = _span(space[name])
            ax.axvspan(low, high, color=colour, alpha=0.08, lw=0)
    _set_scale(ax, param, levels)
    ax.set_ylabel(result.metric)
    condition = CONDITIONS.get(name)
    unused = (
        f", trials with {condition[0]} ≠ {'/'.join(condition[1])}"
        if condition and condition[0] in result.trials
        else ""
    )
    ax.set_title(f"{result.metric} vs {name} ({param.scale}{unused})")
    ax.grid(alpha=0.3)
    if len(ax.get_legend_handles_labels()[0]) > 0:
        ax.legend(fontsize="small")
    return figure


def level_labels(param: Param, values: pd.Series) -> list[str]:
    """The labels of a categorical's levels, every value seen included, in axis order."""
    from sweep.analysis import categorical_levels

    return [str(v) for v in categorical_levels(param, values).values]


def _x_values(param: Param, values: pd.Series, levels: list[str]) -> np.ndarray:
    if not param.is_numeric:
        # A little jitter so repeated categories do not hide each other; seeded so reruns draw the same.
        codes = np.array([levels.index(str(v)) if str(v) in levels else -1 for v in values], dtype=float)
        return codes + np.random.default_rng(0).uniform(-0.12, 0.12, len(codes))
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return param.scale_type.axis(param).plotted(numbers)


def _span(param: Param) -> tuple[float, float]:
    """A round's range in plot coordinates (1−β for beta)."""
    axis = param.scale_type.axis(param)
    ends = [axis.plotted(float(v)) for v in param.extent()]
    return min(ends), max(ends)


def _set_scale(ax: Axes, param: Param, levels: list[str]) -> None:
    axis = param.scale_type.axis(param)  # the scale says how it is drawn
    ax.set_xlabel(axis.label)
    if axis.categorical:
        ax.set_xticks(range(len(levels)), levels)
        return
    if axis.log_base is not None:
        ax.set_xscale("log", base=axis.log_base)
    if axis.complement:  # plotted as 1 − value: invert, so the value grows to the right as people read it
        ax.invert_xaxis()
        ax.xaxis.set_major_locator(LogLocator(base=axis.log_base or 10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: beta_label(x)))
        ax.xaxis.set_minor_formatter(NullFormatter())
    if axis.ticks:
        ax.xaxis.set_major_locator(FixedLocator(list(axis.ticks)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())


def beta_label(one_minus: float) -> str:
    """The β a point of the 1−β axis stands for: 0.1 -> '0.9', 0.01 -> '0.99', 0.05 -> '0.95'.

    Example:
        >>> beta_label(0.001)
        '0.999'
    """
    if not 0 < one_minus < 1:
        return ""
    digits = max(1, round(-math.log10(one_minus)) + 1)
    return f"{1.0 - one_minus:.{digits}f}".rstrip("0").rstrip(".")
