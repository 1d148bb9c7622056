"""Which rounds a sweep runs, and how each round's space follows from the results so far (pure logic).

Coarse to fine: round 1 samples the whole space; each later round zooms into the region of the best trials
so far. Staged (`--staged`): tier 1 with the rest at defaults, then tier 2 with tier 1 held at its best, …
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from search_spaces import Space, SweepSpec, zoom


@dataclass(frozen=True)
class RoundSlot:
    """One planned round: its number, the tier it tunes (staged sweeps), and whether it zooms."""

    number: int
    stage: int | None
    zoom: bool
    samples: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def schedule(spec: SweepSpec, space: Space, staged: bool) -> list[RoundSlot]:
    """The rounds of a new sweep: `rounds.count` per stage, the first of each stage sampling afresh."""
    stages: list[int | None] = list(space.tiers()) if staged else [None]
    slots: list[RoundSlot] = []
    for stage in stages:
        for k in range(spec.rounds.count):
            slots.append(RoundSlot(len(slots) + 1, stage, zoom=k > 0, samples=spec.samples))
    return slots


def stage_space(base: Space, stage: int | None, best: dict[str, Any] | None) -> Space:
    """The space of a stage's first round: its tier sampled, earlier tiers held at the best values so far."""
    if stage is None:
        return base
    space = base.select_tiers({stage})
    for param in base.tuned():
        if param.tier is not None and param.tier < stage and best is not None and param.name in best:
            space = space.hold(param.name, best[param.name])
    return space


def zoomed_space(previous: Space, base: Space, results: list[tuple[dict[str, Any], float]], spec: SweepSpec) -> Space:
    """The next round's space: the previous one narrowed around the best results, inside the base bounds."""
    usable = [(config, value) for config, value in results if value is not None and not math.isnan(value)]
    if not usable:
        return previous
    rounds = spec.rounds
    return zoom(previous, base, usable, spec.mode, rounds.top_fraction, rounds.margin, expand=rounds.expand)
