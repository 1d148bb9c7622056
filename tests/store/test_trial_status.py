"""A finished trial's status, its ASHA rung and "better than" for either mode: pure functions, no Ray running.

The real sweeps in test_sweep_run.py check these only through whole tables; here each rule is driven directly.
"""

from __future__ import annotations

import math

import pytest

from sweep.schedulers.asha import asha_milestones
from sweep.store import schema as S
from sweep.store.ledger import final_status, rung_reached, target_epochs
from sweep.store.ranking import best_of, is_better


# --- final_status ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("epochs", "target", "diverged", "prunes", "expected"),
    [
        (10, 10, False, True, S.COMPLETED),  # trained its whole budget under ASHA
        (3, 10, False, True, S.PRUNED),  # stopped short by a pruning scheduler
        (3, 10, False, False, S.COMPLETED),  # FIFO never prunes: a short trial asked for fewer epochs
        (12, 10, False, True, S.COMPLETED),  # past the target (a resumed trial re-reported): not pruned
        (3, 10, True, True, S.DIVERGED),  # divergence wins over pruning
        (10, 10, True, False, S.DIVERGED),  # and over completion
        (0, 10, False, True, S.PRUNED),  # nothing reported at all, yet short of its target
    ],
)
def test_final_status(epochs: int, target: int, diverged: bool, prunes: bool, expected: str) -> None:
    assert final_status(epochs, target, diverged, prunes) == expected


@pytest.mark.parametrize(
    ("epochs", "flags", "expected"),
    [
        (3, {"error": True, "timed_out": True, "budget_spent": True}, S.ERRORED),  # an error says it all
        (3, {"timed_out": True, "budget_spent": True}, S.TIMEOUT),  # over the per-trial limit
        (3, {"budget_spent": True}, S.STOPPED),  # the sweep's time budget ended it short, diverged or not
        (10, {"budget_spent": True}, S.DIVERGED),  # the budget ran out after it had trained its epochs
    ],
)
def test_error_timeout_and_the_budget_come_before_divergence_and_pruning(epochs, flags, expected) -> None:
    assert final_status(epochs, 10, True, True, **flags) == expected


def test_without_a_target_a_trial_is_never_short() -> None:
    assert final_status(3, None, False, True, budget_spent=True) == S.COMPLETED
    assert target_epochs({"epochs": 30}, 10) == 10 and target_epochs({}, None) is None


def test_every_final_status_is_a_status_the_tables_accept() -> None:
    flags = [{}, {"error": True}, {"timed_out": True}, {"budget_spent": True}]
    seen = {final_status(e, 5, d, p, **f) for e in (0, 5) for d in (False, True) for p in (False, True) for f in flags}
    assert seen == {S.COMPLETED, S.PRUNED, S.DIVERGED, S.ERRORED, S.TIMEOUT, S.STOPPED} and seen <= set(S.STATUSES)


# --- is_better ---------------------------------------------------------------------------------------------------
def test_is_better_follows_the_mode() -> None:
    assert is_better(0.9, 0.8, "max") and not is_better(0.8, 0.9, "max")
    assert is_better(0.8, 0.9, "min") and not is_better(0.9, 0.8, "min")
    assert not is_better(0.8, 0.8, "max") and not is_better(0.8, 0.8, "min")  # a tie keeps the earlier one


def test_nan_and_infinities_never_win_as_they_rank_last_in_the_trials_table() -> None:
    for mode in ("max", "min"):
        for bad in (math.nan, math.inf, -math.inf):
            assert not is_better(bad, 0.5, mode) and not is_better(bad, None, mode)
            assert is_better(0.5, bad, mode)
        assert is_better(0.5, None, mode)
    assert best_of([None, math.inf, 0.3, math.nan, 0.7, 0.7], "max") == 0.7
    assert best_of([math.inf, 0.3, -math.inf, 0.7], "min") == 0.3
    assert best_of([None, math.nan, -math.inf], "max") is None


# --- rung_reached and asha_milestones ------------------------------------------------------------------------
def test_rung_reached_is_the_highest_milestone_passed() -> None:
    milestones = [1, 3, 9, 27]
    reached = [rung_reached(e, milestones) for e in range(0, 30)]
    assert reached[0] is None
    for epochs, rung in enumerate(reached[1:], start=1):
        assert rung == max(m for m in milestones if m <= epochs)
    assert rung_reached(5, []) is None


def _rungs_by_multiplying(grace: int, factor: float, max_t: int) -> list[int]:
    """Every grace·ηᵏ within max_t, found by multiplying up (no logarithms to round)."""
    rungs, k = [], 0
    while grace * factor**k <= max_t:
        rungs.append(int(grace * factor**k))
        k += 1
    return rungs


@pytest.mark.parametrize("factor", [2, 3, 4, 1.5, 2.5])
@pytest.mark.parametrize("grace", [1, 2, 5])
def test_asha_milestones_are_every_rung_within_max_t(grace: int, factor: float) -> None:
    for max_t in range(grace, 300):
        milestones = asha_milestones(grace, factor, max_t)
        assert milestones == _rungs_by_multiplying(grace, factor, max_t), (grace, factor, max_t)
        assert milestones[0] == grace and milestones[-1] <= max_t < grace * factor ** len(milestones)


def test_asha_milestones_match_rays_bracket_up_to_its_rounding_at_max_t() -> None:
    """Ray's `_Bracket` counts rungs with a float log: at max_t = grace·ηᵏ it can lose the last rung (243 = 3⁵);
    ours keeps it. Everywhere else the two are the same list."""
    from ray.tune.schedulers.async_hyperband import _Bracket

    for grace, factor, max_t in [(1, 3, 27), (2, 3, 20), (1, 2, 100), (4, 4, 64), (3, 2.5, 200), (1, 3, 243)]:
        ours = asha_milestones(grace, factor, max_t)
        rays = sorted(int(rung) for rung, _ in _Bracket(grace, max_t, factor, s=0)._rungs)
        assert ours[: len(rays)] == rays and set(ours) - set(rays) <= {max_t}, (grace, factor, max_t, ours, rays)
    assert asha_milestones(1, 3, 243) == [1, 3, 9, 27, 81, 243]
