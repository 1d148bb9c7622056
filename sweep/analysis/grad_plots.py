"""The gradient-statistics panel of `sweep analyze`: per epoch, the first/last layer gradient ratio and the
update/weight ratios of the top trials (the keys of :mod:`trainables.grad_stats`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure

from sweep.analysis.plot_basics import finite
from sweep.store import schema as S
from trainables.grad_stats import GRAD_RATIO, UPDATE_RATIO_FIRST, UPDATE_RATIO_LAST

if TYPE_CHECKING:
    from sweep.store.results import SweepResult

SHOWN = 8  # the best trials drawn, plus every diverged one


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
