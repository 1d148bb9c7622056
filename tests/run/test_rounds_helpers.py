"""The round planner's pure helpers (sweep/run/rounds.py) case by case, beyond test_rounds.py: the schedule of plain
and staged sweeps, each stage's space, which outcomes a zoom reads, the best config, the evidence rule and the
sweep's epoch budget. No Ray running."""

from __future__ import annotations

import math

import pytest

from search_spaces import load_spec
from sweep.run.rounds import (
    Outcome,
    RoundSlot,
    best_config,
    enough_evidence,
    round_slots,
    round_space,
    stage_space,
    sweep_max_epochs,
    zoomed_space,
)
from tests.conftest import tiny_spec

# tiny_spec's space: lr is tier 1 (default 0.05), momentum and batch_size tier 2, the rest fixed.
SPACE = tiny_spec()["space"]


def test_a_plain_sweep_samples_once_then_zooms_every_later_round() -> None:
    spec = load_spec(tiny_spec(samples=5, rounds=3))
    assert round_slots(spec, spec.space, staged=False) == [
        RoundSlot(1, None, zoom=False, samples=5),
        RoundSlot(2, None, zoom=True, samples=5),
        RoundSlot(3, None, zoom=True, samples=5),
    ]


def test_a_staged_sweep_runs_the_rounds_once_per_tier_numbered_on() -> None:
    spec = load_spec(tiny_spec(samples=4, rounds=2))
    assert spec.space.tiers() == [1, 2]
    assert round_slots(spec, spec.space, staged=True) == [
        RoundSlot(1, 1, zoom=False, samples=4),
        RoundSlot(2, 1, zoom=True, samples=4),
        RoundSlot(3, 2, zoom=False, samples=4),  # a new tier starts afresh
        RoundSlot(4, 2, zoom=True, samples=4),
    ]
    single = load_spec(tiny_spec(rounds=1))
    assert [(s.number, s.stage, s.zoom) for s in round_slots(single, single.space, staged=True)] == [
        (1, 1, False),
        (2, 2, False),
    ]


def test_a_stage_tunes_its_tier_holds_earlier_ones_at_the_best_and_later_ones_at_default() -> None:
    space = {**SPACE, "layers": {"int": [1, 3], "default": 2, "tier": 3}}
    base = load_spec(tiny_spec(space=space)).space
    assert stage_space(base, None, {"lr": 0.3}) is base  # not staged: the whole space

    second = stage_space(base, 2, {"lr": 0.3, "momentum": 0.6, "layers": 1})
    assert second["lr"].values == (0.3,) and second["lr"].is_fixed  # tier 1: held at the best so far
    assert not second["momentum"].is_fixed and not second["batch_size"].is_fixed  # tier 2: tuned
    assert second["layers"].is_fixed and second["layers"].values == (2,)  # tier 3: its default, not the best's 1

    first = stage_space(base, 1, {"lr": 0.3})
    assert not first["lr"].is_fixed and first["momentum"].values == (SPACE["momentum"]["default"],)

    for best in (None, {"momentum": 0.6}):  # nothing scored yet, or a best without lr: tier 1 stays at its default
        held = stage_space(base, 2, best)
        assert held["lr"].values == (SPACE["lr"]["default"],) and not held["momentum"].is_fixed


def _stage_two_outcomes() -> list[Outcome]:
    """Round 3 (tier 2): the best momentum is low. Round 1 (tier 1, momentum held at 0.9) scored higher still."""
    tier_one = [Outcome(f"r1-00{i}", 1, 1, {"lr": 0.3, "momentum": 0.9, "batch_size": 128}, 0.99) for i in range(4)]
    seen = [(0.55, 64, 0.9), (0.6, 64, 0.92), (0.95, 256, 0.5), (0.97, 256, 0.4), (0.8, 128, 0.6), (0.85, 128, 0.7)]
    tier_two = [
        Outcome(f"r3-00{i}", 3, 2, {"lr": 0.3, "momentum": m, "batch_size": b}, acc)
        for i, (m, b, acc) in enumerate(seen)
    ]
    return tier_one + tier_two


def test_a_staged_zoom_reads_only_its_own_tiers_outcomes() -> None:
    spec = load_spec(tiny_spec(rounds=2))
    previous = stage_space(spec.space, 2, {"lr": 0.3})
    outcomes = _stage_two_outcomes()
    zoomed = round_space(RoundSlot(4, 2, zoom=True, samples=6), spec.space, previous, outcomes, spec)
    own = round_space(RoundSlot(4, 2, zoom=True, samples=6), spec.space, previous, outcomes[4:], spec)
    assert zoomed == own  # round 1's outcomes changed nothing
    momentum = zoomed["momentum"]
    assert momentum.low <= 0.55 and 0.6 <= momentum.high < 0.9  # around tier 2's best, not round 1's 0.9
    assert zoomed["lr"].values == (0.3,)  # the held tier stays held


def test_a_zoom_without_a_previous_space_is_a_stage_start_and_without_scores_keeps_the_space() -> None:
    spec = load_spec(tiny_spec(rounds=2))
    outcomes = [Outcome("r1-000", 1, 1, {"lr": 0.2}, 0.7), Outcome("r1-001", 1, 1, {"lr": 0.4}, 0.5)]
    restarted = round_space(RoundSlot(3, 2, zoom=True, samples=4), spec.space, None, outcomes, spec)
    assert restarted == stage_space(spec.space, 2, {"lr": 0.2})

    unscored = [
        Outcome("r2-000", 2, None, {"lr": 0.1}, None),  # still running, nothing reported
        Outcome("r2-001", 2, None, {"lr": 0.2}, math.nan),
    ]
    previous = spec.space
    assert round_space(RoundSlot(2, None, zoom=True, samples=4), spec.space, previous, unscored, spec) is previous
    assert zoomed_space(previous, spec.space, [({"lr": 0.1}, math.nan)], spec) is previous


def test_best_config_follows_the_mode_and_skips_what_has_no_value() -> None:
    outcomes = [
        Outcome("r1-000", 1, None, {"lr": 0.1}, 0.4),
        Outcome("r1-001", 1, None, {"lr": 0.2}, math.nan),
        Outcome("r1-002", 1, None, {"lr": 0.3}, 0.9),
        Outcome("r1-003", 1, None, {"lr": 0.4}, None),
        Outcome("r1-004", 1, None, {"lr": 0.5}, 0.2),
    ]
    assert best_config(outcomes, "max") == {"lr": 0.3}
    assert best_config(outcomes, "min") == {"lr": 0.5}
    assert best_config(outcomes[1:2] + outcomes[3:4], "max") is None  # only NaN and None


@pytest.mark.parametrize("planned", range(0, 26))
def test_evidence_is_at_least_half_the_round_and_never_nothing(planned: int) -> None:
    for reported in range(0, planned + 2):
        assert enough_evidence(reported, planned) == (reported >= 1 and 2 * reported >= planned), (reported, planned)


@pytest.mark.parametrize(
    ("epochs", "scheduler", "expected"),
    [
        ({"choice": [3, 12, 7]}, None, 12),  # the most any config can train
        ({"int": [2, 9]}, {"type": "fifo"}, 9),
        (4, {"type": "fifo", "max_t": 20}, 20),  # the spec's max_t wins, even above what configs train
        ({"choice": [3, 12, 7]}, {"type": "asha", "max_t": 5}, 5),
    ],
)
def test_the_sweeps_epoch_budget(epochs: object, scheduler: dict | None, expected: int) -> None:
    changes: dict = {"space": {**SPACE, "epochs": epochs}}
    if scheduler is not None:
        changes["scheduler"] = scheduler
    spec = load_spec(tiny_spec(**changes))
    assert sweep_max_epochs(spec, spec.space) == expected


def test_a_space_without_epochs_gets_a_budget_of_100() -> None:
    space = {key: value for key, value in SPACE.items() if key != "epochs"}
    spec = load_spec(tiny_spec(space=space))
    assert "epochs" not in spec.space and sweep_max_epochs(spec, spec.space) == 100
