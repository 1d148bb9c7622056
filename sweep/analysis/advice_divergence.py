"""The divergence-pattern line: which region of α, β (any numeric parameter) the diverged trials share.

For each tuned numeric parameter, in its own coordinate, the diverged trials' values set a threshold (the
lowest of them, or the highest); the line names a parameter when most trials past that threshold diverged,
and says how many below it did not. A region where training diverges is a region not worth sampling.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from sweep.analysis.advice import Advice, format_value, is_missing, plain_value, tidy_range
from sweep.store import schema as S

if TYPE_CHECKING:
    from search_spaces import Param, Space

MIN_DIVERGED = 2  # a single divergence is no pattern
SHARE = 0.5  # most trials past the threshold diverged


def divergence_advice(trials: pd.DataFrame, space: Space) -> list[Advice]:
    """Which parameter regions diverge (nothing when fewer than :data:`MIN_DIVERGED` trials diverged).

    Example:
        >>> from search_spaces import Space
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 10]}})
        >>> trials = pd.DataFrame({"status": ["diverged"] * 3 + ["completed"] * 5,
        ...                        "lr": [9.0, 5.0, 2.0, 1.0, 0.1, 0.01, 0.001, 3.0]})
        >>> divergence_advice(trials, space)[0].text.split("; keep")[0]
        'divergence: 3 of 8 trials diverged, in lr ≥ 2 (3 of the 4 trials there; none of the 4 below)'
    """
    if S.STATUS not in trials or trials.empty:
        return []
    diverged = trials[S.STATUS] == S.DIVERGED
    if int(diverged.sum()) < MIN_DIVERGED:
        return []
    regions = []
    for param in space.tuned():
        if param.is_numeric and param.name in trials:
            found = _region(param, trials, diverged)
            if found is not None:
                regions.append(found)
    regions.sort(key=lambda r: -r[0])
    head = f"divergence: {int(diverged.sum())} of {len(trials)} trials diverged"
    if not regions:
        return [Advice("divergence", f"{head}, in no single region of a parameter (no range holds most of them)")]
    parts = [text for _, text, _ in regions[:2]]
    names = [text.split(" ")[0] for text in parts]
    kept = {param.name: param for _, _, param in regions[:2] if param is not None}
    return [
        Advice(
            "divergence",
            f"{head}, in {' and '.join(parts)}; keep {' and '.join(names)} out of that region (a lower α, "
            "or batch norm and normalised inputs to tolerate a larger one)",
            change=kept or None,
        )
    ]


def _region(param: Param, trials: pd.DataFrame, diverged: pd.Series) -> tuple[float, str, Param | None] | None:
    """(how well the region separates, its text, the range without it or None) for the best side."""
    coords, flags = [], []
    for value, flag in zip(trials[param.name], diverged, strict=True):
        if is_missing(value):
            continue
        value = plain_value(value)
        try:
            coords.append(float(param.coord(value)))
        except (TypeError, ValueError):
            continue
        flags.append(bool(flag))
    frame = pd.DataFrame({"c": coords, "d": flags})
    if int(frame["d"].sum()) < MIN_DIVERGED:
        return None
    best: tuple[float, str, Param | None] | None = None
    for side in ("high", "low"):
        cut = frame.loc[frame["d"], "c"].min() if side == "high" else frame.loc[frame["d"], "c"].max()
        past = frame[frame["c"] >= cut] if side == "high" else frame[frame["c"] <= cut]
        before = frame[frame["c"] < cut] if side == "high" else frame[frame["c"] > cut]
        share = float(past["d"].mean())
        if share < SHARE or not math.isfinite(share):
            continue
        real_high = side == "high" if not param.scale_type.reversed else side == "low"
        value = format_value(plain_value(param.from_coord(cut)))
        text = (
            f"{param.name} {'≥' if real_high else '≤'} {value} ({int(past['d'].sum())} of the {len(past)} trials "
            f"there; {'none' if not before['d'].any() else int(before['d'].sum())} of the {len(before)} "
            f"{'below' if real_high else 'above'})"
        )
        score = share - float(before["d"].mean()) if len(before) else share
        if best is None or score > best[0]:
            best = (score, text, _without(param, cut, side))
    return best


def _without(param: Param, cut: float, side: str) -> Param | None:
    """The param's range up to the region's edge (in its coordinate), or None when nothing would be left."""
    lo, hi = param.coord_bounds()
    new_lo, new_hi = (lo, min(hi, cut)) if side == "high" else (max(lo, cut), hi)
    if new_hi - new_lo <= 1e-9 * max(1.0, hi - lo) or (new_lo, new_hi) == (lo, hi):
        return None
    return tidy_range(param.scale_type.span(param, new_lo, new_hi))
