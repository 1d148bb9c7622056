"""The tiers rule: which tier's parameters still carry the importance, and which parameters can be held."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TYPE_CHECKING

from search_spaces import Space
from sweep.analysis.advice import Advice

if TYPE_CHECKING:
    from sweep.analysis.importance import Importance

TIER_MIN_TRIALS = 12  # trials before importance may settle a tier
TIER_MIN_R2 = 0.2  # below this the forest explains too little to hold anything
HOLD_SHARE = 0.05  # a parameter with less importance than this can be held at its best


def tier_advice(imp: Importance, space: Space, keep: Collection[str] = ()) -> list[Advice]:
    """Which tier's parameters still matter, and which parameters can be held at their best.

    Parameters in `keep` are not held although their importance is low: another line moves them (the bias
    or variance line's knobs), and the lines must agree.

    Example:
        >>> from sweep.analysis.importance import Importance
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 1], "tier": 1},
        ...                          "layers": {"int": [1, 3], "default": 1, "tier": 3}})
        >>> imp = Importance({"lr": 0.97, "layers": 0.03}, 0.8, 30, "")
        >>> for part in tier_advice(imp, space)[0].text.split(": "):
        ...     print(part)
        tiers
        importance by tier (R² 0.80, 30 trials)
        tier 1 (lr) 97%, tier 3 (layers) 3%
        keep tuning tier 1; hold layers at their best (each < 5%)
    """
    if imp.trials < TIER_MIN_TRIALS or not imp.scores or math.isnan(imp.r2) or imp.r2 < TIER_MIN_R2:
        r2 = "n/a" if math.isnan(imp.r2) else f"{imp.r2:.2f}"
        return [
            Advice(
                "skipped",
                f"tiers: not judged ({imp.trials} trials, importance R² {r2}; it needs at least "
                f"{TIER_MIN_TRIALS} trials and R² ≥ {TIER_MIN_R2})",
            )
        ]
    by_tier: dict[int | None, list[str]] = {}
    for name in imp.scores:
        tier = space[name].tier if name in space else None
        by_tier.setdefault(tier, []).append(name)
    shares = {tier: sum(imp.scores[n] for n in names) for tier, names in by_tier.items()}
    order = sorted(shares, key=lambda t: -shares[t])
    parts = [f"{_tier_name(t)} ({', '.join(by_tier[t])}) {shares[t]:.0%}" for t in order]
    text = f"tiers: importance by tier (R² {imp.r2:.2f}, {imp.trials} trials): {', '.join(parts)}"
    text += f": keep tuning {_tier_name(order[0])}"
    held = held_params(imp, keep)
    if held:
        text += f"; hold {', '.join(held)} at their best (each < {HOLD_SHARE:.0%})"
    kept = [name for name in held_params(imp) if name not in held]
    if kept:
        text += f" ({', '.join(kept)} not held: the line above moves {'it' if len(kept) == 1 else 'them'})"
    return [Advice("tiers", text, change=tuple(held))]


def held_params(imp: Importance, keep: Collection[str] = ()) -> list[str]:
    """Parameters whose importance is below :data:`HOLD_SHARE` (none when the evidence is too thin), but
    those in `keep`."""
    if imp.trials < TIER_MIN_TRIALS or math.isnan(imp.r2) or imp.r2 < TIER_MIN_R2:
        return []
    return [name for name, score in imp.ordered() if score < HOLD_SHARE and name not in keep]


def _tier_name(tier: int | None) -> str:
    return "untiered" if tier is None else f"tier {tier}"
