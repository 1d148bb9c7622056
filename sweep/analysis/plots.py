"""The plots of `sweep analyze`, drawn with matplotlib's Agg canvas (no display, no pyplot global state).

Every hyperparameter is drawn on the scale the sweep sampled it on, so a good region looks as wide as the
sweep treated it: lr on a log axis; momentum β as 1−β on a log axis labelled in β (0.9, 0.99, 0.999).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

from search_spaces import Param
from sweep.store import schema as S

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sweep.analysis import Source
    from sweep.analysis.importance import Importance

HIGHLIGHT = 5  # top trials drawn bold in the learning curves
PARALLEL_MIN, PARALLEL_FRACTION = 10, 0.25  # parallel coordinates: the best quarter, at least ten trials

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


def write_plots(source: Source, importance: Importance | None) -> list[tuple[str, Path]]:
    """Draws every plot that the source has data for into `source.plots_dir`; returns (title, path) pairs."""
    source.plots_dir.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, str, Figure | None]] = []
    if importance is not None and importance.scores:
        figures.append(("Importance", "importance.png", importance_bars(importance)))
    for name, param in source.params.items():
        figures.append(
            (
                f"{source.metric} vs {name}",
                f"metric-vs-{_safe(name)}.png",
                metric_vs_param(source, name, param),
            )
        )
    figures.append(("Learning curves", "learning-curves.png", learning_curves(source)))
    figures.append(("Trials reaching each ASHA rung", "rungs.png", rung_counts(source)))
    figures.append(("Parallel coordinates of the top trials", "parallel-coordinates.png", parallel_coordinates(source)))
    written = []
    for title, file, figure in figures:
        if figure is None:
            continue
        path = source.plots_dir / file
        FigureCanvasAgg(figure).print_png(str(path))
        written.append((title, path))
    return written


def _figure(width: float = 6.4, height: float = 4.2) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return figure, figure.add_subplot()


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _finite(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.map(lambda v: math.isfinite(v))


def _round_colour(number: int) -> tuple[float, float, float, float]:
    from matplotlib import colormaps

    red, green, blue, alpha = colormaps["tab10"]((int(number) - 1) % 10)
    return red, green, blue, alpha


# --- metric vs one hyperparameter -----------------------------------------------------------------------
def metric_vs_param(source: Source, name: str, param: Param) -> Figure:
    """Each trial's best metric against one parameter on its own scale, a colour per round.

    Each round's sampled range is shaded in its colour, so the zoom of coarse-to-fine rounds shows.
    """
    figure, ax = _figure()
    trials = source.trials[_finite(source.trials[S.BEST]) & ~inactive(source.trials, name)]
    levels = _levels(param, source.trials[name]) if not param.is_numeric else []
    rounds = trials[S.ROUND] if S.ROUND in trials else pd.Series(1, index=trials.index)
    for number in sorted(rounds.dropna().unique()):
        group = trials[rounds == number]
        colour = _round_colour(int(number))
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
        space = source.rounds.get(int(number))
        if space is not None and name in space and space[name].is_numeric and not space[name].is_fixed:
            low, high = _span(space[name])
            ax.axvspan(low, high, color=colour, alpha=0.08, lw=0)
    _set_scale(ax, param, levels)
    ax.set_ylabel(source.metric)
    condition = CONDITIONS.get(name)
    unused = (
        f", trials with {condition[0]} ≠ {'/'.join(condition[1])}"
        if condition and condition[0] in source.trials
        else ""
    )
    ax.set_title(f"{source.metric} vs {name} ({param.scale}{unused})")
    ax.grid(alpha=0.3)
    if len(ax.get_legend_handles_labels()[0]) > 0:
        ax.legend(fontsize="small")
    return figure


def _levels(param: Param, values: pd.Series) -> list[str]:
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


# --- learning curves, rungs, importance -------------------------------------------------------------------
def learning_curves(source: Source) -> Figure | None:
    """The dev metric per epoch of every trial: pruned faint, the top trials bold and labelled."""
    history = source.history
    metric = next((m for m in (source.metric, "dev_accuracy", "dev_loss") if m in history), None)
    if history.empty or metric is None or S.PLAN_ID not in history:
        return None
    statuses = source.trials.set_index(S.PLAN_ID)[S.STATUS] if S.STATUS in source.trials else pd.Series(dtype=str)
    top = list(source.ranked()[S.PLAN_ID].head(HIGHLIGHT)) if S.PLAN_ID in source.trials else []
    figure, ax = _figure(7.0, 4.4)
    style = {
        S.PRUNED: ("grey", 0.25, 0.8),
        S.DIVERGED: ("tab:red", 0.35, 0.8),
        S.ERRORED: ("tab:red", 0.2, 0.8),
    }
    for plan_id, curve in history.groupby(S.PLAN_ID, sort=False):
        if plan_id in top:
            continue
        colour, alpha, width = style.get(statuses.get(plan_id), ("tab:blue", 0.45, 1.0))
        ok = curve[_finite(curve[metric])]
        ax.plot(ok[S.EPOCH], pd.to_numeric(ok[metric]), color=colour, alpha=alpha, lw=width)
    from matplotlib import colormaps

    for index, plan_id in enumerate(top):
        curve = history[history[S.PLAN_ID] == plan_id]
        ok = curve[_finite(curve[metric])]
        ax.plot(
            ok[S.EPOCH],
            pd.to_numeric(ok[metric]),
            lw=2.2,
            color=colormaps["autumn"](index / HIGHLIGHT),
            label=f"#{index + 1} {plan_id}",
        )
    present = {statuses.get(p) for p in history[S.PLAN_ID].unique() if p not in top}
    for status, label in ((S.COMPLETED, "completed"), (S.PRUNED, "pruned"), (S.DIVERGED, "diverged")):
        if status in present or (status == S.COMPLETED and None in present):
            colour, alpha, _ = style.get(status, ("tab:blue", 0.45, 1.0))
            ax.plot([], [], color=colour, alpha=min(1.0, alpha + 0.2), label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(f"learning curves: {metric} per epoch (top {len(top)} bold)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return figure


def rung_counts(source: Source) -> Figure | None:
    """A bar per ASHA rung: how many trials trained at least that many epochs (None when nothing pruned)."""
    trials = source.trials
    if S.RUNG not in trials:
        return None
    reached = pd.to_numeric(trials[S.RUNG], errors="coerce").dropna()
    if reached.empty:
        return None
    rungs = sorted({int(r) for r in reached.unique()} | set(source.milestones))
    counts = [len(trials)] + [int((reached >= r).sum()) for r in rungs]
    labels = ["started"] + [f"{r} epoch{'s' if r != 1 else ''}" for r in rungs]
    figure, ax = _figure(max(4.0, 1.1 * len(labels) + 1), 3.8)
    bars = ax.bar(labels, counts, color=["lightgrey"] + ["tab:blue"] * len(rungs))
    ax.bar_label(bars)
    ax.set_ylabel("trials")
    ax.set_title("trials reaching each ASHA rung")
    return figure


def importance_bars(importance: Importance) -> Figure:
    ordered = importance.ordered()
    figure, ax = _figure(6.0, 0.45 * len(ordered) + 1.4)
    ax.barh([name for name, _ in ordered][::-1], [score for _, score in ordered][::-1], color="tab:blue")
    ax.set_xlabel("share of importance")
    ax.set_title(f"random-forest permutation importance (R² {importance.r2:.2f})")
    return figure


# --- parallel coordinates -------------------------------------------------------------------------------
def parallel_coordinates(source: Source) -> Figure | None:
    """The best trials as lines across one normalised axis per parameter, coloured by their metric."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    from sweep.analysis.importance import design_matrix

    ranked = source.ranked()
    names = list(source.params)
    if len(ranked) < 2 or not names:
        return None
    count = min(len(ranked), max(PARALLEL_MIN, math.ceil(PARALLEL_FRACTION * len(ranked))))
    top = ranked.head(count)
    coords = design_matrix(source.trials, source.params)  # axis ranges from every trial, not only the top
    lows, highs = coords.min(), coords.max()
    for name, param in source.params.items():
        if param.is_numeric and param.low is not None:
            low, high = param.coord_bounds()
            lows[name], highs[name] = min(low, lows[name]), max(high, highs[name])
    normalised = (design_matrix(top, source.params) - lows) / (highs - lows).replace(0, 1)
    for name, param in source.params.items():
        if param.scale_type.reversed:  # log10(1−β) falls as β grows: flip, so a larger β is drawn higher
            normalised[name] = 1.0 - normalised[name]
        normalised.loc[inactive(top, name).to_numpy(), name] = np.nan  # unused here: a gap in the line
    metric = pd.to_numeric(top[S.BEST]).to_numpy()
    norm = Normalize(metric.min(), metric.max())
    cmap = colormaps["viridis" if source.mode == "max" else "viridis_r"]
    figure, ax = _figure(max(6.0, 1.6 * len(names) + 1.5), 4.6)
    xs = np.arange(len(names))
    for row in np.argsort(-metric if source.mode == "min" else metric):  # best drawn last, on top
        ax.plot(xs, normalised.iloc[row].to_numpy(), color=cmap(norm(metric[row])), lw=1.6, alpha=0.85)
    for i, (name, param) in enumerate(source.params.items()):
        ax.axvline(i, color="black", lw=0.8)
        for y, text in _axis_ends(param, float(lows[name]), float(highs[name]), source.trials[name]):
            ax.annotate(text, (i, y), xytext=(4, 0), textcoords="offset points", fontsize=7, va="center")
    ax.set_xticks(xs, [f"{n}\n({p.scale})" for n, p in source.params.items()])
    ax.set_yticks([0, 1], ["low", "high"])
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"top {count} trials in their own coordinates (normalised)")
    from matplotlib.cm import ScalarMappable

    figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=source.metric)
    return figure


def _axis_ends(param: Param, low: float, high: float, values: pd.Series) -> list[tuple[float, str]]:
    """Labels in real values along one normalised axis: its ends, or each level of a categorical."""
    if not param.is_numeric:
        levels = _levels(param, values)
        span = max(len(levels) - 1, 1)
        return [(i / span, level) for i, level in enumerate(levels)]
    if param.scale_type.reversed:  # the axis is flipped: the smallest β (largest 1−β) at the bottom
        return [(0.0, f"{param.from_coord(high):.4g}"), (1.0, f"{param.from_coord(low):.4g}")]
    return [(0.0, f"{param.from_coord(low):.3g}"), (1.0, f"{param.from_coord(high):.3g}")]
