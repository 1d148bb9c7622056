"""SweepResult ranking: ties on the metric go to the better-supported trial."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sweep.store import schema as S
from sweep.store.results import SweepResult


def result(rows: list[dict], mode: str = "max") -> SweepResult:
    return SweepResult(Path("sweeps/x"), pd.DataFrame(rows), pd.DataFrame(), {"mode": mode, "params": ["lr"]})


def row(plan_id: str, status: str, best: float, epochs: int) -> dict:
    return {S.PLAN_ID: plan_id, S.STATUS: status, S.BEST: best, S.EPOCHS: epochs, "lr": 0.1}


def test_a_tie_goes_to_the_completed_trial_not_the_pruned_one() -> None:
    # The pruned trial comes first in the file (it finished first), as it does in a real sweep.
    trials = [
        row("r1-000", S.PRUNED, 0.95, 2),
        row("r1-001", S.COMPLETED, 0.95, 20),
        row("r1-002", S.COMPLETED, 0.9, 20),
    ]
    assert result(trials).best()[S.PLAN_ID] == "r1-001"
    assert list(result(trials).ranked()[S.PLAN_ID]) == ["r1-001", "r1-000", "r1-002"]
    low = [row("a", S.PRUNED, 0.2, 2), row("b", S.COMPLETED, 0.2, 20), row("c", S.COMPLETED, 0.3, 20)]
    assert result(low, mode="min").best()[S.PLAN_ID] == "b"


def test_a_better_metric_still_wins_whatever_the_status() -> None:
    trials = [row("r1-000", S.COMPLETED, 0.90, 20), row("r1-001", S.PRUNED, 0.91, 2), row("r1-002", S.ERRORED, 0.99, 1)]
    assert list(result(trials).ranked()[S.PLAN_ID]) == ["r1-001", "r1-000", "r1-002"]


def test_usable_keeps_the_one_ranking_without_errored_or_non_finite_trials() -> None:
    trials = [
        row("a", S.COMPLETED, 0.8, 20),
        row("b", S.ERRORED, 0.99, 20),
        row("c", S.DIVERGED, float("-inf"), 3),
        row("d", S.PRUNED, 0.85, 2),
        row("e", S.COMPLETED, float("nan"), 20),
        row("f", S.COMPLETED, 0.9, 20),
    ]
    everything = list(result(trials).ranked()[S.PLAN_ID])
    usable = list(result(trials).ranked(usable=True)[S.PLAN_ID])
    assert usable == ["f", "d", "a"] == [p for p in everything if p in usable]
    whole = [row("a", S.COMPLETED, 80, 20), row("b", S.ERRORED, 99, 20), row("c", S.COMPLETED, 90, 20)]
    assert list(result(whole).ranked(usable=True)[S.PLAN_ID]) == ["c", "a"]  # an integer metric is finite too
    assert result([]).ranked(usable=True).empty
