"""Coarse to fine: narrow a space around the best trials of a round, never leaving the original bounds."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from search_spaces.errors import SweepError
from search_spaces.params import Param
from search_spaces.space import Space

MIN_WIDTH = 1e-3  # fraction of the original width kept when margin is 0 and the top trials coincide
EDGE_BAND = 0.2  # "next to a bound": within this fraction of the range's width (own coordinate) of it
TREND_MIN_TRIALS = 8  # trials before a rank correlation with the coordinate counts as a trend
TREND_RHO = 0.5  # |Spearman ρ| between the coordinate and the metric that counts as a trend toward a bound


def zoom(
    space: Space,
    bounds: Space,
    results: list[tuple[dict[str, Any], float]],
    mode: str,
    top_fraction: float,
    margin: float,
    expand: bool = False,
    ranked: bool = False,
) -> Space:
    """The next round's space: each numeric param narrowed to the span of the best trials.

    For each tuned numeric param, in its own coordinate (log10 for loguniform, log10(1 - β) for beta,
    linear for uniform/int, log2 for pow2): take [min, max] over the best ⌈top_fraction·N⌉ trials,
    widen each side by ``margin × (width of the range in space)``, clip to `bounds` and map back
    (int rounds outward, pow2 snaps outward to powers of two). A ``choice`` keeps the values seen among
    the best trials; grid and fixed params are unchanged. Non-finite metrics rank last.

    Args:
        space: this round's space.
        bounds: the first round's space; no range ever leaves it.
        results: (config, metric) per finished trial.
        mode: ``max`` or ``min``.
        top_fraction: share of trials that defines the new ranges (at least one trial).
        margin: widening, as a fraction of this round's width, on each side.
        expand: when the best trials crowd a bound of this round's range (see :func:`crowded_edge`),
            move past it (:func:`widen_past_edge`) instead of zooming: the bounds of `bounds` then give
            way, and only the scale's hard limits hold (:func:`hard_limits`).
        ranked: `results` are best first already, in the caller's own ranking (a sweep ranks its trials on
            comparable evidence); else they are ranked here by their metric (:func:`rank`).

    Example:
        >>> s = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}})
        >>> results = [({"lr": 10.0**-k}, -abs(k - 2)) for k in range(5)]
        >>> zoom(s, s, results, "max", 0.2, 0.25)["lr"].describe()
        'loguniform [0.001, 0.1]'
    """
    if mode not in ("min", "max"):
        raise SweepError(f"zoom: mode must be 'min' or 'max', got {mode!r}")
    if not results:
        raise SweepError("zoom: no finished trials to zoom on")
    ordered = results if ranked else rank(results, mode)
    top = [config for config, _ in ordered[: max(1, math.ceil(top_fraction * len(results)))]]
    params = []
    for param in space.values():
        seen = [c[param.name] for c in top if param.name in c]
        original = bounds.get(param.name, param)
        if param.is_fixed or not seen or param.is_grid:
            params.append(param)
        elif not param.is_numeric:
            params.append(_zoom_choice(param, seen))
        elif expand and crowded_edge(param, seen, trend=_trend_data(param, results, mode)) is not None:
            params.append(widen_past_edge(param, seen, margin, trend=_trend_data(param, results, mode)))
        else:
            params.append(_zoom_numeric(param, _union(original, param) if expand else original, seen, margin))
    return Space(params)


def _union(original: Param, current: Param) -> Param:
    """The original range grown to hold the current one: an expanded round's range is not clipped back."""
    if not original.is_numeric or original.scale != current.scale:
        return original
    return original.scale_type.union(original, current)


def crowded_edge(
    param: Param,
    best_values: list[Any],
    band: float = EDGE_BAND,
    trend: tuple[list[Any], list[float]] | None = None,
) -> str | None:
    """``"low"`` or ``"high"`` when the best trials crowd that bound of `param`'s range, else None.

    In the param's own coordinate, the single best value (``best_values[0]``) lies within ``band × width``
    of the bound, and either at least half of `best_values` lie there too, or (given `trend`: every
    trial's value and its score, higher = better, at least :data:`TREND_MIN_TRIALS` of them) the score
    rises toward that bound (Spearman ρ ≥ :data:`TREND_RHO`): a sparse sample can hold few trials near a
    bound while the metric plainly climbs toward it. "low"/"high" name the bound in real values (for beta,
    "high" is the side near 1).

    Example:
        >>> lr = Param.from_entry("lr", {"loguniform": [1e-6, 1e-4]})
        >>> crowded_edge(lr, [9.4e-5, 8e-5, 6e-5, 2e-6]), crowded_edge(lr, [1e-5, 2e-6, 9e-5])
        ('high', None)
    """
    if not param.is_numeric or param.is_fixed or not best_values:
        return None
    lo, hi = param.coord_bounds()
    width = hi - lo
    if width <= 0:
        return None
    coords = [param.coord(v) for v in best_values]
    rho = trend_rho(param, *trend) if trend is not None else math.nan
    for side, bound, sign in (("low", lo, -1.0), ("high", hi, 1.0)):
        near = [abs(c - bound) <= band * width + 1e-12 for c in coords]
        if near[0] and (sum(near) * 2 >= len(near) or sign * rho >= TREND_RHO):
            return _real_side(param, side)
    return None


def trend_rho(param: Param, values: list[Any], scores: list[float]) -> float:
    """Spearman rank correlation between the param's own coordinate and the score (NaN below
    :data:`TREND_MIN_TRIALS` trials or when either side is constant).

    Example:
        >>> lr = Param.from_entry("lr", {"loguniform": [1e-5, 1e-3]})
        >>> trend_rho(lr, [1e-5, 3e-5, 1e-4, 2e-4, 3e-4, 5e-4, 7e-4, 9e-4], [1, 1, 2, 3, 3, 4, 5, 6])
        0.988
    """
    pairs = [(param.coord(v), float(s)) for v, s in zip(values, scores, strict=True) if math.isfinite(float(s))]
    if len(pairs) < TREND_MIN_TRIALS:
        return math.nan
    x = _ranks([p[0] for p in pairs])
    y = _ranks([p[1] for p in pairs])
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx, syy = sum((a - mx) ** 2 for a in x), sum((b - my) ** 2 for b in y)
    return round(sxy / math.sqrt(sxx * syy), 3) if sxx > 0 and syy > 0 else math.nan


def _ranks(values: list[float]) -> list[float]:
    """Ranks from 1, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _trend_data(param: Param, results: list[tuple[dict[str, Any], float]], mode: str) -> tuple[list[Any], list[float]]:
    """Every trial's value of `param` and its score, higher = better (the input of :func:`trend_rho`)."""
    sign = 1.0 if mode == "max" else -1.0
    pairs = [
        (c[param.name], sign * float(m))
        for c, m in results
        if param.name in c and math.isfinite(float(m)) and param.contains(c[param.name])
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _real_side(param: Param, side: str) -> str:
    """Where the coordinate runs backwards (beta), its low end is the high value; and back."""
    if param.scale_type.reversed:
        return "high" if side == "low" else "low"
    return side


def hard_limits(param: Param) -> tuple[float, float]:
    """How far an expanding range may go, in the param's own coordinate: the scale's own limits.

    beta: β ∈ [0, 1) (1−β ≥ 1e-9); loguniform: no limit; pow2: ≥ 1; int: ≥ 0 when the range started at
    or above 0; uniform: [0, 1] when the range lay inside it (a probability or a fraction), ≥ 0 when it
    started at or above 0, else no limit.

    Example:
        >>> hard_limits(Param.from_entry("m", {"beta": [0.9, 0.999]}))
        (-9.0, 0.0)
    """
    return param.scale_type.hard_limits(param)


def widen_past_edge(
    param: Param, best_values: list[Any], margin: float, trend: tuple[list[Any], list[float]] | None = None
) -> Param:
    """The range moved past the bound the best trials crowd: their span, plus one full width of the
    current range beyond the crowded bound, plus `margin` on the other side; within :func:`hard_limits`.

    Example:
        >>> lr = Param.from_entry("lr", {"loguniform": [1e-6, 1e-4]})
        >>> widen_past_edge(lr, [9.4e-5, 8e-5, 3e-5], 0.1).describe()
        'loguniform [1.89287e-05, 0.01]'
    """
    edge = crowded_edge(param, best_values, trend=trend)
    if edge is None:
        return param
    lo, hi = param.coord_bounds()
    width = hi - lo
    coords = [param.coord(v) for v in best_values]
    side = _real_side(param, edge)  # back to the coordinate's side
    if side == "high":
        new_lo, new_hi = min(coords) - margin * width, hi + width
    else:
        new_lo, new_hi = lo - width, max(coords) + margin * width
    new_lo, new_hi = param.scale_type.expansion_limits(param, lo, new_lo, new_hi)
    new = param.scale_type.span(param, new_lo, new_hi)
    if new.is_continuous:
        new = replace(new, low=_tidy(new.bounds()[0]), high=_tidy(new.bounds()[1]))
    return replace(new, default=_nearest_default(new))


def _tidy(value: float) -> float:
    """Six significant digits, so a widened range prints and saves as people write it."""
    return float(f"{value:.6g}")


def rank(results: list[tuple[dict[str, Any], float]], mode: str) -> list[tuple[dict[str, Any], float]]:
    """Best first; NaN and infinite metrics last (stable for ties)."""
    sign = -1.0 if mode == "max" else 1.0

    def key(item: tuple[dict[str, Any], float]) -> tuple[int, float]:
        metric = float(item[1])
        return (0, sign * metric) if math.isfinite(metric) else (1, 0.0)

    return sorted(results, key=key)


def _zoom_choice(param: Param, seen: list[Any]) -> Param:
    kept = tuple(v for v in param.values if v in seen)
    if not kept:
        return param
    default = param.default if param.default in kept else seen[0]
    return replace(param, values=kept, default=default if param.default is not None else None)


def _zoom_numeric(param: Param, original: Param, seen: list[Any], margin: float) -> Param:
    if not original.is_numeric or original.scale != param.scale:
        original = param
    lo_b, hi_b = original.coord_bounds()
    coords = [min(max(param.coord(v), lo_b), hi_b) for v in seen]
    lo, hi = min(coords), max(coords)
    width_now = _width(param)
    lo, hi = lo - margin * width_now, hi + margin * width_now
    if param.is_continuous:
        min_width = max(margin, MIN_WIDTH) * (hi_b - lo_b)
        if hi - lo < min_width:  # the best trials coincide: keep a window around them
            mid = (lo + hi) / 2
            lo, hi = mid - min_width / 2, mid + min_width / 2
            shift = max(0.0, lo_b - lo) - max(0.0, hi - hi_b)
            lo, hi = lo + shift, hi + shift
    lo, hi = max(lo, lo_b), min(hi, hi_b)
    new = param.scale_type.span(param, lo, hi)
    if new.is_continuous:  # float error in from_coord must not step outside the original bounds
        o_low, o_high = original.bounds()
        new = replace(new, low=max(new.bounds()[0], o_low), high=min(new.bounds()[1], o_high))
    return replace(new, default=_nearest_default(new))


def _width(param: Param) -> float:
    lo, hi = param.coord_bounds()
    return hi - lo


def _nearest_default(param: Param) -> Any:
    """Keep the default if still in range, else the nearest bound or level."""
    default = param.default
    if default is None or param.contains(default):
        return default
    levels = param.levels()
    if levels is not None:
        return min(levels, key=lambda v: abs(param.coord(v) - param.coord(default)))
    low, high = param.bounds()
    return min(max(default, low), high)


def zoom_lines(old: Space, new: Space) -> list[str]:
    """One line per tuned param of `old`: ``lr: loguniform [0.0001, 1] → [0.001, 0.05]``.

    Example:
        >>> a = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}})
        >>> zoom_lines(a, a.with_param(Param("lr", "loguniform", 1e-3, 0.05)))
        ['lr: loguniform [0.0001, 1] → [0.001, 0.05]']
    """
    lines = []
    for param in old.tuned():
        after = new.get(param.name)
        target = after.range_text() if after is not None else "(removed)"
        lines.append(f"{param.name}: {param.describe()} → {target}")
    return lines
