"""The edge-of-range rule: the best trials crowd a bound of a parameter's range, so the optimum may lie outside.

Judged in the parameter's own coordinate (log10 α, log10(1−β), log2 of a batch size); the advice names the
bound, how many of the best trials lie near it, the trend toward it, and a widened range to try. The
widened range is one a practitioner would try:

- it goes at most one step past the crowded bound: a decade of log10 α or log10(1−β), one power of two of
  a pow2 scale, one range width of a linear scale (less when the range itself is narrower);
- it never goes past what the trainable declares sensible for the key (α ≤ 1, β ≤ 0.9999, keep_prob ≤ 1:
  :meth:`trainables.keys.KeyRule.sensible`); a bound already there is said to be, not widened;
- a parameter that acts only under another key's value (``decay_rate`` under ``lr_decay``) is judged on
  the trials where it acted;
- trials are compared at a comparable rung: each one's best metric up to the deepest epoch that at least
  :data:`EDGE_MIN_TRIALS` trials reached, so a trial that trained longer than the pruned ones does not
  decide an edge alone; and at least two of the best trials must lie near the bound, unless the metric
  plainly climbs toward it over all the trials (Spearman ρ ≥ 0.5).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import pandas as pd

from search_spaces import Param, Space
from search_spaces.zoom import EDGE_BAND, TREND_RHO, crowded_edge, trend_rho
from sweep.analysis.advice import Advice, best_quarter, format_value, is_missing, plain_value, tidy_range
from sweep.store import schema as S
from sweep.store.ranking import rank_trials

if TYPE_CHECKING:
    from trainables.keys import Declaration

EDGE_MIN_TRIALS = 8  # finished trials before a crowded edge means more than luck
MARGIN = 0.1  # widening of a zoomed range, as for `rounds.margin`
NEAR_MIN = 2  # best trials near the bound before it counts as crowded: never one lucky trial
LOG_STEP = {"loguniform": 1.0, "beta": 1.0, "pow2": 1.0}  # one decade, one decade of 1−β, one doubling


def coordinate_name(param: Param) -> str:
    """How the advice names a parameter's own coordinate.

    Example:
        >>> coordinate_name(Param.from_entry("momentum", {"beta": [0.9, 0.999]}))
        'log10(1−momentum)'
    """
    return param.scale_type.coordinate_name(param)


def edge_advice(
    ranked: pd.DataFrame,
    space: Space,
    metric: str,
    margin: float = MARGIN,
    mode: str = "max",
    *,
    declaration: Declaration | None = None,
    held: Collection[str] = (),
    history: pd.DataFrame | None = None,
) -> list[Advice]:
    """For each tuned numeric parameter whose best trials crowd a bound: say so and give a widened range.

    Args:
        ranked: finished trials, best first (a finite best metric each).
        space: the ranges the trials were drawn from (the spec's space).
        metric: the metric's name, for the text.
        margin: widening of the far side, as a fraction of the range.
        mode: whether a higher (``max``) or lower metric is better, for the trend toward a bound.
        declaration: the trainable's keys (sensible ranges, conditional keys); None for a user's trainable.
        held: parameters the tiers rule holds at their best: not widened in the same breath.
        history: per-epoch rows, to compare trials at a comparable rung (None: their best metrics as given).

    Example:
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-5, 1e-3]}})
        >>> ranked = pd.DataFrame({"lr": [9e-4, 8e-4, 7e-4, 1e-4, 5e-5, 3e-5, 2e-5, 1e-5],
        ...                        "best_metric": [.9, .89, .88, .5, .4, .3, .2, .1]})
        >>> edge_advice(ranked, space, "dev_accuracy")[0].change.describe()
        'loguniform [0.000504766, 0.01]'
    """
    if len(ranked) < EDGE_MIN_TRIALS:
        return [
            Advice(
                "skipped",
                f"edge of range: not judged ({len(ranked)} finished trials; it needs at least {EDGE_MIN_TRIALS})",
            )
        ]
    ranked, rung = at_comparable_rung(ranked, history, metric, mode)
    out = []
    for param in space.tuned():
        if not param.is_numeric or param.name not in ranked or param.name in held:
            continue
        trials = _where_it_acts(ranked, param.name, declaration, space)
        if len(trials) < EDGE_MIN_TRIALS:
            if declaration is not None and param.name in declaration.acts_when:
                other, values = declaration.acts_when[param.name]
                out.append(
                    Advice(
                        "skipped",
                        f"{param.name}: edge not judged (it acts only when {other} is {' or '.join(values)}: "
                        f"{len(trials)} of {len(ranked)} finished trials; it needs at least {EDGE_MIN_TRIALS})",
                        param.name,
                    )
                )
            continue
        advice = _edge_of(param, trials, metric, margin, mode, declaration, rung)
        if advice is not None:
            out.append(advice)
    return out


def _edge_of(
    param: Param,
    ranked: pd.DataFrame,
    metric: str,
    margin: float,
    mode: str,
    declaration: Declaration | None,
    rung: int | None,
) -> Advice | None:
    top = best_quarter(ranked, at_least=2)  # never one lucky trial alone
    values = [plain_value(v) for v in top[param.name] if not is_missing(v) and param.contains(plain_value(v))]
    trend = _trend(ranked, param, mode)
    edge = crowded_edge(param, values, trend=trend)
    if edge is None:
        return None
    lo, hi = param.coord_bounds()
    bound_coord = hi if _coord_side(param, edge) == "high" else lo
    near = sum(abs(param.coord(v) - bound_coord) <= EDGE_BAND * (hi - lo) + 1e-12 for v in values)
    rho = trend_rho(param, *trend)
    toward = rho if _coord_side(param, edge) == "high" else -rho
    if near < NEAR_MIN and not toward >= TREND_RHO:  # one trial near the bound, and no trend toward it: luck
        return None
    best_metric = float(ranked[S.BEST].iloc[0])
    bound = param.extent()[1 if edge == "high" else 0]
    at = f" at epoch {rung}" if rung is not None else ""
    head = (
        f"{param.name}: the best trials crowd the {'upper' if edge == 'high' else 'lower'} bound "
        f"{format_value(bound)} of {param.describe()}: "
        f"the best ({format_value(values[0])}, {metric} {best_metric:.4g}{at}) "
        f"and {near} of the top {len(values)} lie within {EDGE_BAND:.0%} of it in {coordinate_name(param)}"
        f"{_rho_text(rho, metric, edge, param, len(trend[0]), mode)}"
    )
    key = declaration.keys.get(param.name) if declaration is not None else None
    sensible = key.sensible() if key is not None else (-math.inf, math.inf)
    widened = widen_once(param, values, edge, margin, sensible)
    if widened is None:
        side = 1 if edge == "high" else 0
        if declaration is not None and math.isfinite(sensible[side]):
            rule = f"{param.name} {'≥≤'[side]} {format_value(sensible[side])}"
            limit = f"the sensible limit ({rule} for the {declaration.name} trainable)"
        else:
            limit = f"the limit of its scale ({format_value(bound)})"
        return Advice("edge-limit", f"{head}; it is already at {limit}: keep the range", param.name)
    return Advice("edge", f"{head}; widen to {widened.range_text()}", param.name, widened)


def widen_once(
    param: Param, best_values: list[Any], edge: str, margin: float, sensible: tuple[float, float]
) -> Param | None:
    """The range moved one natural step past the crowded bound (`edge`, in real values), within the scale's
    hard limits and the `sensible` (low, high) range; None when the bound cannot move (already at the limit).

    The far side becomes the best trials' span plus `margin` of the width.

    Example:
        >>> lr = Param.from_entry("lr", {"loguniform": [1e-4, 1]})
        >>> widen_once(lr, [0.9, 0.5], "high", 0.1, (0.0, math.inf)).range_text()
        '[0.199054, 10]'
        >>> widen_once(lr, [0.9, 0.5], "high", 0.1, (1e-7, 1.0)) is None
        True
    """
    lo, hi = param.coord_bounds()
    width = hi - lo
    step = min(width, LOG_STEP.get(param.scale, width))
    coords = [param.coord(v) for v in best_values]
    if _coord_side(param, edge) == "high":
        new_lo, new_hi = min(coords) - margin * width, hi + step
    else:
        new_lo, new_hi = lo - step, max(coords) + margin * width
    new_lo, new_hi = param.scale_type.expansion_limits(param, lo, new_lo, new_hi)
    new = param.scale_type.span(param, new_lo, new_hi)
    low, high = (float(v) for v in new.extent())
    s_low, s_high = sensible
    if low < s_low or high > s_high:
        clipped = sorted((param.coord(max(low, s_low)), param.coord(min(high, s_high))))
        new = param.scale_type.span(param, clipped[0], clipped[1])
        low, high = (float(v) for v in new.extent())
    old_low, old_high = (float(v) for v in param.extent())
    if (edge == "high" and high <= old_high) or (edge == "low" and low >= old_low):
        return None
    return tidy_range(new)


def at_comparable_rung(
    ranked: pd.DataFrame, history: pd.DataFrame | None, metric: str, mode: str
) -> tuple[pd.DataFrame, int | None]:
    """The trials that reached the deepest epoch at least :data:`EDGE_MIN_TRIALS` of them reached, each with
    its best `metric` up to that epoch, best first; and that epoch (None when every trial trained as long,
    or without a history to read).

    Example:
        >>> ranked = pd.DataFrame({"plan_id": ["a"], "best_metric": [0.9]})
        >>> at_comparable_rung(ranked, None, "dev_accuracy", "max")[1] is None
        True
    """
    if history is None or history.empty or metric not in history or S.PLAN_ID not in ranked:
        return ranked, None
    rows = history[history[S.PLAN_ID].isin(set(ranked[S.PLAN_ID]))]
    epochs = pd.to_numeric(rows[S.EPOCH], errors="coerce")
    depth = epochs.groupby(rows[S.PLAN_ID]).max()
    if depth.empty or depth.nunique() <= 1:
        return ranked, None
    reached = sorted(depth.unique(), reverse=True)
    rung = next((int(e) for e in reached if (depth >= e).sum() >= EDGE_MIN_TRIALS), int(min(reached)))
    early = rows[epochs <= rung]
    values = pd.to_numeric(early[metric], errors="coerce")
    best = values.groupby(early[S.PLAN_ID]).max() if mode == "max" else values.groupby(early[S.PLAN_ID]).min()
    kept = ranked[ranked[S.PLAN_ID].map(lambda p: depth.get(p, 0) >= rung)].copy()
    kept[S.BEST] = kept[S.PLAN_ID].map(best)
    kept = kept[kept[S.BEST].map(lambda v: isinstance(v, float) and math.isfinite(v))]
    return rank_trials(kept.assign(**{S.EPOCHS: rung}), mode), rung  # the one ranking, all at the one rung


def _where_it_acts(ranked: pd.DataFrame, name: str, declaration: Declaration | None, space: Space) -> pd.DataFrame:
    """The trials in which `name` acted (all of them for an unconditional key or a user's trainable)."""
    if declaration is None or name not in declaration.acts_when:
        return ranked
    other = declaration.acts_when[name][0]
    fixed = space[other].values[0] if other in space and space[other].is_fixed else declaration.defaults.get(other)

    def acts(row: pd.Series) -> bool:
        value = row.get(other)
        return declaration.acts(name, {other: fixed if is_missing(value) else value})

    mask = ranked.apply(acts, axis=1) if len(ranked) else pd.Series(dtype=bool)
    return ranked[mask].reset_index(drop=True)


def _trend(ranked: pd.DataFrame, param: Param, mode: str) -> tuple[list[Any], list[float]]:
    """Every finished trial's value of `param` and its score (higher = better)."""
    sign = 1.0 if mode == "max" else -1.0
    pairs = [
        (plain_value(v), sign * float(m))
        for v, m in zip(ranked[param.name], ranked[S.BEST], strict=True)
        if not is_missing(v) and param.contains(plain_value(v)) and math.isfinite(float(m))
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _rho_text(rho: float, metric: str, edge: str, param: Param, n: int, mode: str = "max") -> str:
    """`rho` is the score's correlation (higher = better); the text gives the metric's own, as scipy's spearmanr
    of the metric against the coordinate reads (a loss that falls toward the bound: negative)."""
    if math.isnan(rho):
        return ""
    toward = rho if _coord_side(param, edge) == "high" else -rho
    if toward <= 0:
        return ""
    shown = rho if mode == "max" else -rho
    return f", and {metric} improves toward it (Spearman ρ {shown:+.2f} with {coordinate_name(param)}, {n} trials)"


def _coord_side(param: Param, real_side: str) -> str:
    if param.scale_type.reversed:
        return "low" if real_side == "high" else "high"
    return real_side
