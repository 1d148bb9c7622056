"""Diagnosis lines from the per-layer gradient statistics: vanishing and exploding gradients.

Read from the keys of :mod:`trainables.grad_stats` in history.csv (the built-ins always report them; a user's
trainable may). Two readings, each naming its figures:

- **vanishing / exploding**: the best trials' gradient ratio ‖∂L/∂W₁‖ / ‖∂L/∂W_L‖ (the median over each
  trial's epochs, then over the trials) two orders of magnitude or more below 1 (vanishing) or above it
  (exploding); when ``layers`` varies, how the ratio moves with depth (Spearman ρ of log10 ratio with
  layers). The course's remedies: He initialisation for ReLU, Xavier for tanh, batch norm, a lower α.
- **exploding before divergence**: diverged trials whose last-layer gradient norm rose a hundredfold or more
  over their epochs before the loss went non-finite.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from sweep.analysis.advice import Advice, best_quarter, format_value
from sweep.store import schema as S
from trainables.grad_stats import GRAD_NORM_LAST, GRAD_RATIO

if TYPE_CHECKING:
    from search_spaces import Space

FAR = 100.0  # two orders of magnitude from 1: the ratio of a net whose first layer barely hears the loss
RISE = 100.0  # a gradient norm rising this many times before divergence: exploding
REMEDIES = "He initialisation for ReLU (init: he), Xavier for tanh (init: xavier), batch norm (batch_norm: true)"


def gradient_advice(ranked: pd.DataFrame, history: pd.DataFrame, trials: pd.DataFrame, space: Space) -> list[Advice]:
    """Vanishing or exploding gradients, read from the reported gradient statistics (nothing when absent).

    Args:
        ranked: finished trials, best first.
        history: per-epoch rows with ``grad_ratio`` (and ``grad_norm_last``).
        trials: every trial (the diverged ones included).
        space: the spec's space, to say whether `init`, `activation` or `batch_norm` are tuned.

    Example:
        >>> history = pd.DataFrame({"plan_id": ["a", "a"], "epoch": [1, 2], "grad_ratio": [3e-5, 2e-5]})
        >>> ranked = pd.DataFrame({"plan_id": ["a"], "best_metric": [0.1], "layers": [6]})
        >>> from search_spaces import Space
        >>> gradient_advice(ranked, history, ranked, Space())[0].text.split(":")[0]
        'vanishing gradients'
    """
    if history.empty or GRAD_RATIO not in history or S.PLAN_ID not in history:
        return []
    out = []
    values = pd.to_numeric(history[GRAD_RATIO], errors="coerce")  # each trial's median gradient ratio
    ok = values.map(lambda v: math.isfinite(v) and v > 0)
    ratios = {str(k): float(v) for k, v in values[ok].groupby(history.loc[ok, S.PLAN_ID]).median().items()}
    top = list(best_quarter(ranked)[S.PLAN_ID]) if len(ranked) else []
    top_ratios = [ratios[p] for p in top if p in ratios and math.isfinite(ratios[p]) and ratios[p] > 0]
    if top_ratios:
        median = float(pd.Series(top_ratios).median())
        if median <= 1 / FAR or median >= FAR:
            kind = "vanishing" if median < 1 else "exploding"
            winner = ranked.iloc[0]
            setting = _setting(winner, space)
            depth = _depth_trend(ranked, ratios)
            remedy = REMEDIES + (", a lower α" if kind == "exploding" else "")
            out.append(
                Advice(
                    "gradients",
                    f"{kind} gradients: the first layer's gradient is {format_value(median)}× the last layer's "
                    f"(‖∂L/∂W₁‖/‖∂L/∂W_L‖, median of the top {len(top_ratios)} trials' epochs; "
                    f"{'≤' if kind == 'vanishing' else '≥'} {format_value(1 / FAR if kind == 'vanishing' else FAR)}"
                    f"){setting}{depth}; try {remedy}",
                    change=_course_init(winner, space),
                )
            )
    out += _exploding_before_divergence(history, trials)
    return out


MATCHING_INIT = {"relu": "he", "leaky_relu": "he", "tanh": "xavier", "sigmoid": "xavier"}


def _course_init(winner: pd.Series, space: Space) -> dict[str, str] | None:
    """``{"init": ...}``: the init the course pairs with the winner's activation, for the next spec (None when
    the activation is unknown or the winner already had it)."""

    def value(key: str) -> object:  # the winner's, or the one the space holds fixed
        own = winner.get(key)
        return space[key].values[0] if own is None and key in space and space[key].is_fixed else own

    activation = value("activation")
    init = MATCHING_INIT.get(str(activation if activation is not None else "relu"))
    if init is None or str(value("init")) == init:
        return None
    return {"init": init}


def _setting(winner: pd.Series, space: Space) -> str:
    """The winner's activation, init, depth and batch norm, where the table has them."""
    parts = [f"{key} {winner[key]}" for key in ("activation", "init", "layers", "batch_norm") if key in winner]
    parts = [p for p in parts if not p.endswith(" nan")]
    return f"; the winner has {', '.join(parts)}" if parts else ""


def _depth_trend(ranked: pd.DataFrame, ratios: dict[str, float]) -> str:
    """How log10 of the ratio moves with `layers` across trials (when layers varies)."""
    if "layers" not in ranked or S.PLAN_ID not in ranked:
        return ""
    pairs = [
        (float(layers), math.log10(ratios[str(p)]))
        for p, layers in zip(ranked[S.PLAN_ID], pd.to_numeric(ranked["layers"], errors="coerce"), strict=True)
        if str(p) in ratios and math.isfinite(float(layers))
    ]
    frame = pd.DataFrame(pairs, columns=["layers", "log_ratio"])
    if len(frame) < 8 or frame["layers"].nunique() < 2:
        return ""
    rho = frame["layers"].corr(frame["log_ratio"], method="spearman")
    if not math.isfinite(rho):
        return ""
    return (
        f"; across {len(frame)} trials it moves away from 1 with depth "
        f"(Spearman ρ {rho:+.2f} of log10 ratio with layers)"
        if abs(rho) >= 0.5
        else ""
    )


def _exploding_before_divergence(history: pd.DataFrame, trials: pd.DataFrame) -> list[Advice]:
    if GRAD_NORM_LAST not in history or S.STATUS not in trials:
        return []
    diverged = set(trials.loc[trials[S.STATUS] == S.DIVERGED, S.PLAN_ID].astype(str))
    if not diverged:
        return []
    rises = []
    for plan_id, rows in history[history[S.PLAN_ID].astype(str).isin(diverged)].groupby(S.PLAN_ID):
        norms = pd.to_numeric(rows.sort_values(S.EPOCH)[GRAD_NORM_LAST], errors="coerce")
        norms = norms[norms.map(lambda v: math.isfinite(v) and v > 0)]
        if len(norms) >= 2:
            rises.append((str(plan_id), float(norms.max() / norms.iloc[0])))
    exploding = [r for r in rises if r[1] >= RISE]
    if not exploding:
        return []
    worst = max(exploding, key=lambda r: r[1])
    return [
        Advice(
            "gradients",
            f"exploding gradients before divergence: in {len(exploding)} of {len(diverged)} diverged trials the "
            f"last layer's gradient norm rose ≥ {RISE:g}× over its epochs before the loss went non-finite "
            f"({worst[0]}: ×{worst[1]:.3g}); try a lower α, {REMEDIES}",
        )
    ]
