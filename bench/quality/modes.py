"""How big a quality-bench run is: the budget per run, the search seeds, and the trial caps of the smoke mode."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# `--preset`: the space, trainable and schedule every method searches; the first is the default
PRESETS = ("mnist1d-mlp", "mnist1d-cnn1d")


@dataclass(frozen=True)
class Mode:
    """One size of the bench.

    Attributes:
        name: ``full``, ``quick`` or ``smoke``.
        budget_s: Wall-clock seconds each run gets, counted from its process's start (start-up included).
        seeds: Search seeds per method (0, 1, ...); every method runs once per seed.
        epochs: The epoch cap of every trial (the preset's ``epochs``, or fewer for smoke).
        max_trials: A cap on trials per run (per round for sweep; smoke only, so each run ends in seconds);
            None = the budget decides.
        rounds: Rounds per stage for the sweep methods instead of the preset's (smoke only); None = the preset's.
        grace_s: How long past its budget a run may take to stop cleanly and write its results before it is
            interrupted; reports after the budget never count.

    Example:
        >>> MODES["quick"].seeds
        3
    """

    name: str
    budget_s: float
    seeds: int
    epochs: int
    max_trials: int | None = None
    rounds: int | None = None
    grace_s: float = 60.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


MODES = {
    # 8 methods × 5 seeds × (120 s + ~14 s to start, stop and score) ≈ 89 minutes on 2 cores
    "full": Mode("full", budget_s=120.0, seeds=5, epochs=30),
    # 8 methods × 3 seeds × (30 s + ~14 s) ≈ 18 minutes
    "quick": Mode("quick", budget_s=30.0, seeds=3, epochs=30),
    # every code path of the bench, seconds per method: 4 trials of 3 epochs, one round per stage; the budget
    # is only a ceiling here
    "smoke": Mode("smoke", budget_s=60.0, seeds=1, epochs=3, max_trials=4, rounds=1, grace_s=30.0),
}
