"""The plots of `sweep analyze`: which figures a sweep gets and where they are written, and the figures of the
whole sweep (learning curves, gradient statistics, ASHA rungs, importance). A hyperparameter's own figures are
drawn by :mod:`sweep.analysis.param_plots` and :mod:`sweep.analysis.parallel_plot`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sweep.analysis.parallel_plot import parallel_coordinates
from sweep.analysis.param_plots import metric_vs_param
from sweep.analysis.plot_basics import finite, new_figure
from sweep.store import schema as S
from trainables.grad_stats import GRAD_RATIO, UPDATE_RATIO_FIRST, UPDATE_RATIO_LAST

if TYPE_CHECKING:
    from sweep.analysis.importance import Importance
    from sweep.store.results import SweepResult

HIGHLIGHT = 5  # top trials drawn bold in the learning curves
SHOWN = 8  # the best trials drawn in the gradient panels, plus every diverged one


def write_plots(result: SweepResult, importance: Importance | None) -> list[tuple[str, Path]]:
    """Draws every plot that the result has data for into `result.plots_dir`; returns (title, path) pairs."""
    result.plots_dir.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, str, Figure | None]] = []
    if importance is not None and importance.scores:
        figures.append(("Importance", "importance.png", importance_bars(importance)))
    for name, param in result.params.items():
        figures.append(
            (
                f"{result.metric} vs {name}",
                f"metric-vs-{_safe(name)}.png",
                metric_vs_param(result, name, param),
            )
        )
    figures.append(("Learning curves", "learning-curves.png", learning_curves(result)))
    figures.append(("Gradient statistics per epoch", "gradient-curves.png", gradient_curves(result)))
    figures.append(("Trials reaching each ASHA rung", "rungs.png", rung_counts(result)))
    figures.append(("Parallel coordinates of the top trials", "parallel-coordinates.png", parallel_coordinates(result)))
    written = []
    for title, file, figure in figures:
        if figure is None:
            continue
        path = result.plots_dir / file
        FigureCanvasAgg(figure).print_png(str(path))
        written.append((title, path))
    return written


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


# --- learning curves, rungs, importance -------------------------------------------------------------------
def learning_curves(result: SweepResult) -> Figure | None:
    """The dev metric per epoch of every trial: pruned faint, the top trials bold and labelled."""
    history = result.history
    metric = next((m for m in (result.metric, "dev_accuracy", "dev_loss") if m in history), None)
    if history.empty or metric is None or S.PLAN_ID not in history:
        return None
    statuses = result.trials.set_index(S.PLAN_ID)[S.STATUS] if S.STATUS in result.trials else pd.Series(dtype=str)
    top = list(result.ranked(usable=True)[S.PLAN_ID].head(HIGHLIGHT)) if S.PLAN_ID in result.trials else []
    figure, ax = new_figure(7.0, 4.4)
    style = {
        S.PRUNED: ("grey", 0.25, 0.8),
        S.DIVERGED: ("tab:red", 0.35, 0.8),
        S.ERRORED: ("tab:red", 0.2, 0.8),
    }
    for plan_id, curve in history.groupby(S.PLAN_ID, sort=False):
        if plan_id in top:
            continue
        colour, alpha, width = style.get(statuses.get(plan_id), ("tab:blue", 0.45, 1.0))
        ok = curve[finite(curve[metric])]
        ax.plot(ok[S.EPOCH], pd.to_numeric(ok[metric]), color=colour, alpha=alpha, lw=width)
    from matplotlib import colormaps

    for index, plan_id in enumerate(top):
        curve = history[history[S.PLAN_ID] == plan_id]
        ok = curve[finite(curve[metric])]
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
    if ax.get_legend_handles_labels()[0]:  # no labelled curve (every trial failed): no empty legend, no warning
        ax.legend(fontsize="small")
    return figure


# --- gradient statistics: per epoch, the first/last layer gradient ratio and the update/weight ratios of the top
# trials (the keys of :mod:`trainables.grad_stats`) ----------------------------------------------------------------
def gradient_curves(result: SweepResult) -> Figure | None:
    """Two panels over epochs on log axes: ‖∂L/∂W₁‖ / ‖∂L/∂W_L‖, and ‖ΔW‖/‖W‖ of the first and last layer.

    None when the history has no gradient statistics (a user's trainable that does not report them).

    Example:
        >>> gradient_curves(result)  # doctest: +SKIP
    """
    history = result.history
    if history.empty or S.PLAN_ID not in history or GRAD_RATIO not in history:
        return None
    ranked = result.ranked(usable=True)
    shown = list(ranked[S.PLAN_ID].head(SHOWN)) if S.PLAN_ID in ranked else []
    if S.STATUS in result.trials:
        shown += [p for p in result.trials.loc[result.trials[S.STATUS] == S.DIVERGED, S.PLAN_ID] if p not in shown]
    if not shown:
        shown = list(history[S.PLAN_ID].unique()[:SHOWN])
    figure = Figure(figsize=(10.0, 4.2), dpi=100, layout="constrained")
    ratio_ax, update_ax = figure.subplots(1, 2)
    from matplotlib import colormaps

    colours = colormaps["tab10"]
    for index, plan_id in enumerate(shown):
        curve = history[history[S.PLAN_ID] == plan_id]
        colour = colours(index % 10)
        _line(ratio_ax, curve, GRAD_RATIO, colour, "-", str(plan_id))
        _line(update_ax, curve, UPDATE_RATIO_FIRST, colour, "-", f"{plan_id} first")
        _line(update_ax, curve, UPDATE_RATIO_LAST, colour, ":", None)
    ratio_ax.set(ylabel="‖∂L/∂W first‖ / ‖∂L/∂W last‖")
    ratio_ax.set_title("gradient ratio, first to last layer (≪ 1 vanishing, ≫ 1 exploding)", fontsize="medium")
    update_ax.set(ylabel="‖ΔW‖ / ‖W‖ per step")
    update_ax.set_title("update/weight ratio: first layer solid, last dotted", fontsize="medium")
    for ax, reference in ((ratio_ax, 1.0), (update_ax, 1e-3)):  # reference lines: even; a healthy update size
        ax.axhline(reference, color="black", lw=0.8, alpha=0.5)
        ax.set(yscale="log", xlabel="epoch")
        ax.grid(alpha=0.3)
    ratio_ax.legend(fontsize="x-small")
    return figure


def _line(ax: object, curve: pd.DataFrame, key: str, colour: object, style: str, label: str | None) -> None:
    if key not in curve:
        return
    values = pd.to_numeric(curve[key], errors="coerce")
    ok = finite(curve[key]) & (values > 0)
    if ok.any():
        ax.plot(curve.loc[ok, S.EPOCH], values[ok], color=colour, ls=style, lw=1.4, label=label)  # type: ignore[attr-defined]


def rung_counts(result: SweepResult) -> Figure | None:
    """A bar per ASHA rung: how many trials trained at least that many epochs (None when nothing pruned)."""
    trials = result.trials
    if S.RUNG not in trials:
        return None
    reached = pd.to_numeric(trials[S.RUNG], errors="coerce").dropna()
    if reached.empty:
        return None
    rungs = sorted({int(r) for r in reached.unique()} | set(result.milestones))
    counts = [len(trials)] + [int((reached >= r).sum()) for r in rungs]
    labels = ["started"] + [f"{r} epoch{'s' if r != 1 else ''}" for r in rungs]
    figure, ax = new_figure(max(4.0, 1.1 * len(labels) + 1), 3.8)
    bars = ax.bar(labels, counts, color=["lightgrey"] + ["tab:blue"] * len(rungs))
    ax.bar_label(bars)
    ax.set_ylabel("trials")
    ax.set_title("trials reaching each ASHA rung")
    return figure


def importance_bars(importance: Importance) -> Figure:
    ordered = importance.ordered()
    figure, ax = new_figure(6.0, 0.45 * len(ordered) + 1.4)
    ax.barh([name for name, _ in ordered][::-1], [score for _, score in ordered][::-1], color="tab:blue")
    ax.set_xlabel("share of importance")
    ax.set_title(f"random-forest permutation importance (R² {importance.r2:.2f})")
    return figure
