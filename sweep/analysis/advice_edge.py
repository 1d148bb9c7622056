"""The edge-of-range rule: the best trials crowd a bound of a parameter's range, so the optimum may lie outside.

Judged in the parameter's own coordinate (log10 α, log10(1−β), log2 of a batch size); the advice names the
bound, how many of the best trials lie near it, the trend toward it, and a widened range to try.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from search_spaces import Param, Space
from search_spaces.zoom import EDGE_BAND, crowded_edge, trend_rho, widen_past_edge
from sweep.analysis.advice import Advice, format_value, is_missing, plain_value
from sweep.store import schema as S

EDGE_MIN_TRIALS = 8  # finished trials before a crowded edge means more than luck
TOP_FRACTION = 0.25  # "the best trials": the top quarter (at least two)
MARGIN = 0.1  # widening of a zoomed range, as for `rounds.margin`


def coordinate_name(param: Param) -> str:
    """How the advice names a parameter's own coordinate.

    Example:
        >>> coordinate_name(Param.from_entry("momentum", {"beta": [0.9, 0.999]}))
        'log10(1−momentum)'
    """
    return param.scale_type.coordinate_name(param)


def _top(ranked: pd.DataFrame) -> pd.DataFrame:
    return ranked.head(max(2, math.ceil(TOP_FRACTION * len(ranked))))


def edge_advice(
    ranked: pd.DataFrame, space: Space, metric: str, margin: float = MARGIN, mode: str = "max"
) -> list[Advice]:
    """For each tuned numeric parameter whose best trials crowd a bound: say so and give a widened range.

    Args:
        ranked: finished trials, best first (a finite best metric each).
        space: the ranges the trials were drawn from (the spec's space).
        metric: the metric's name, for the text.
        margin: widening of the far side, as a fraction of the range (see :func:`widen_past_edge`).
        mode: whether a higher (``max``) or lower metric is better, for the trend toward a bound.

    Example:
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-5, 1e-3]}})
        >>> ranked = pd.DataFrame({"lr": [9e-4, 8e-4, 7e-4, 1e-4, 5e-5, 3e-5, 2e-5, 1e-5],
        ...                        "best_metric": [.9, .89, .88, .5, .4, .3, .2, .1]})
        >>> edge_advice(ranked, space, "dev_accuracy")[0].text.split(":")[0]
        'lr'
    """
    if len(ranked) < EDGE_MIN_TRIALS:
        return [
            Advice(
                "skipped",
                f"edge of range: not judged ({len(ranked)} finished trials; it needs at least {EDGE_MIN_TRIALS})",
            )
        ]
    top = _top(ranked)
    out = []
    for param in space.tuned():
        if not param.is_numeric or param.name not in top:
            continue
        values = [plain_value(v) for v in top[param.name] if not is_missing(v) and param.contains(plain_value(v))]
        trend = _trend(ranked, param, mode)
        edge = crowded_edge(param, values, trend=trend)
        if edge is None:
            continue
        rho = trend_rho(param, *trend)
        lo, hi = param.coord_bounds()
        near = sum(abs(param.coord(v) - (hi if _coord_side(param, edge) == "high" else lo)) <= EDGE_BAND * (hi - lo)
                   for v in values)  # fmt: skip
        widened = widen_past_edge(param, values, margin, trend=trend)
        best_metric = float(ranked[S.BEST].iloc[0])
        bound = param.extent()[1 if edge == "high" else 0]
        out.append(
            Advice(
                "edge",
                f"{param.name}: the best trials crowd the {'upper' if edge == 'high' else 'lower'} bound "
                f"{format_value(bound)} of {param.describe()}: "
                f"the best ({format_value(values[0])}, {metric} {best_metric:.4g}) "
                f"and {near} of the top {len(values)} lie within {EDGE_BAND:.0%} of it in {coordinate_name(param)}"
                f"{_rho_text(rho, metric, edge, param, len(trend[0]))}; "
                f"widen to {widened.range_text()} (or set rounds: {{expand: true}})",
                param.name,
            )
        )
    return out


def _trend(ranked: pd.DataFrame, param: Param, mode: str) -> tuple[list[Any], list[float]]:
    """Every finished trial's value of `param` and its score (higher = better)."""
    sign = 1.0 if mode == "max" else -1.0
    pairs = [
        (plain_value(v), sign * float(m))
        for v, m in zip(ranked[param.name], ranked[S.BEST], strict=True)
        if not is_missing(v) and param.contains(plain_value(v)) and math.isfinite(float(m))
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _rho_text(rho: float, metric: str, edge: str, param: Param, n: int) -> str:
    if math.isnan(rho):
        return ""
    toward = rho if _coord_side(param, edge) == "high" else -rho
    if toward <= 0:
        return ""
    return f", and {metric} improves toward it (Spearman ρ {rho:+.2f} with {coordinate_name(param)}, {n} trials)"


def _coord_side(param: Param, real_side: str) -> str:
    if param.scale_type.reversed:
        return "low" if real_side == "high" else "high"
    return real_side
