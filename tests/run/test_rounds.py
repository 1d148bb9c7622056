"""The run loop's decisions as pure functions, and the coarse-to-fine searcher driven by hand (no Ray running)."""

from __future__ import annotations

import pickle
import time

import pandas as pd
import pytest

from search_spaces import Space, load_spec
from search_spaces.durations import DurationError, parse_duration
from sweep.run.budget import Budget, round_share_spent
from sweep.run.rounds import (
    Outcome,
    RoundSlot,
    best_config,
    enough_evidence,
    round_slots,
    round_space,
    sweep_max_epochs,
)
from sweep.run.searcher import RecipeSearcher
from sweep.run.sweep_plan import SweepPlan, read_plan
from sweep.run.tuner import pending_trials
from sweep.store.layout import SweepDir
from sweep.store.plan_ids import plan_id, round_of
from sweep.store.state import SweepState
from tests.conftest import tiny_spec


def test_plan_ids_name_their_round():
    assert plan_id(3, 12) == "r3-012" and round_of("r3-012") == 3
    with pytest.raises(ValueError, match="not a plan id"):
        round_of("x-1")


def test_evidence_needs_half_the_round():
    assert not enough_evidence(0, 4) and not enough_evidence(1, 4)
    assert enough_evidence(2, 4) and enough_evidence(1, 1)


def test_pending_trials_fill_the_cluster():
    assert pending_trials(1, 2.0, None) == 2
    assert pending_trials(2, 16.0, None) == 8 and pending_trials(2, 16.0, 3) == 3
    assert pending_trials(8, 2.0, None) == 1


def test_max_epochs_for_one_scheduler_over_all_rounds():
    assert sweep_max_epochs(load_spec(tiny_spec()), load_spec(tiny_spec()).space) == 4
    spec = load_spec(tiny_spec(space={"lr": {"loguniform": [1e-3, 1]}, "epochs": {"int": [2, 9]}}))
    assert sweep_max_epochs(spec, spec.space) == 9
    spec = load_spec(tiny_spec(scheduler={"type": "asha", "max_t": 5}))
    assert sweep_max_epochs(spec, spec.space) == 5


def test_tpe_runs_one_round_of_samples_times_rounds():
    spec = load_spec(tiny_spec(sampler="tpe", samples=5, rounds=3))
    assert round_slots(spec, spec.space, staged=False) == [RoundSlot(1, None, zoom=False, samples=15)]
    with pytest.raises(Exception, match="--staged: sampler tpe"):
        round_slots(spec, spec.space, staged=True)


def test_tpe_keeps_each_trials_best_across_a_restore_also_from_state_saved_before_its_ledger(tmp_path):
    from ray import cloudpickle

    from sweep.run.tpe import TpeSearcher

    spec = load_spec(tiny_spec(sampler="tpe", samples=2, rounds=1))
    slots = tuple(round_slots(spec, spec.space, staged=False))
    searcher = TpeSearcher(SweepPlan(SweepDir(tmp_path), spec.to_dict(), spec.space.to_dict(), slots))
    metric = spec.metric
    searcher.on_trial_result("t1", {"epoch": 1, metric: 0.4})
    searcher.on_trial_result("t1", {"epoch": 2, metric: 0.3})
    searcher.save(str(tmp_path / "new.pkl"))
    with open(tmp_path / "old.pkl", "wb") as handle:  # the state a sweep saved before the ledger
        cloudpickle.dump({"handed": 1, "best": {"t2": 0.7}, "inner": searcher.inner.__dict__.copy()}, handle)
    restored = TpeSearcher(SweepPlan(SweepDir(tmp_path), spec.to_dict(), spec.space.to_dict(), slots))
    restored.restore(str(tmp_path / "new.pkl"))
    assert restored.ledger.get("t1").best == 0.4 and restored.ledger.get("t1").epochs == 2
    restored.restore(str(tmp_path / "old.pkl"))
    assert restored.handed == 1 and restored.ledger.get("t2").best == 0.7


def test_zoom_round_narrows_around_the_best_outcomes_including_running_trials():
    spec = load_spec(tiny_spec(rounds=2))
    base = spec.space
    seen = [(1e-3, 0.2), (3e-3, 0.3), (0.1, 0.9), (0.2, None), (0.5, 0.4)]
    outcomes = [
        Outcome(plan_id(1, i), 1, None, {"lr": lr, "momentum": 0.9, "batch_size": 128}, acc)
        for i, (lr, acc) in enumerate(seen)
    ]
    space = round_space(RoundSlot(2, None, zoom=True, samples=6), base, base, outcomes, spec)
    assert base["lr"].low < space["lr"].low <= 0.1 <= space["lr"].high <= base["lr"].high


def test_stage_round_holds_earlier_tiers_at_the_best_so_far():
    spec = load_spec(tiny_spec())
    outcomes = [Outcome("r1-000", 1, 1, {"lr": 0.02}, 0.5), Outcome("r1-001", 1, 1, {"lr": 0.3}, 0.8)]
    space = round_space(RoundSlot(2, 2, zoom=False, samples=4), spec.space, None, outcomes, spec)
    assert space["lr"].is_fixed and space["lr"].values == (0.3,)
    assert not space["momentum"].is_fixed
    assert best_config(outcomes, "min") == {"lr": 0.02} and best_config([], "max") is None


def test_durations_and_bad_budgets():
    assert parse_duration("90s") == 90 and parse_duration("10m") == 600 and parse_duration("1.5h") == 5400
    for bad in ("-5s", "ten minutes", "0", 0, "5d", True):
        with pytest.raises(DurationError, match=r"give a positive number of seconds, or a duration like 90s"):
            parse_duration(bad, "--time-budget")


def test_budget_shares_rounds_from_the_first_report_and_pauses_between_checks():
    starting = Budget(100.0, spent=40.0)  # Ray and its workers starting: no round's share is spent yet
    assert not round_share_spent(starting, 0, 3)
    starting.training_started()
    assert starting.training_from is not None and not round_share_spent(starting, 0, 3)
    budget = Budget(100.0, spent=70.0, training_from=40.0)  # half of the 60 s left at the first report
    assert 0.5 <= budget.training_fraction() < 0.6
    assert round_share_spent(budget, 0, 2) and not round_share_spent(budget, 1, 2)
    assert not round_share_spent(None, 0, 2)
    running = Budget(100.0, spent=40.0, _last=time.monotonic() - 30.0)  # last checked 30 s ago
    assert 0.69 < running.fraction_spent() < 0.8 and not running.exhausted
    assert Budget(10.0, spent=9.0, _last=time.monotonic() - 2.0).exhausted
    paused = pickle.loads(pickle.dumps(Budget(10.0, spent=9.0, _last=time.monotonic() - 2.0)))
    assert not paused.exhausted  # after a restart the clock resumes where it was


# --- the searcher by hand: Ray's Searcher calls, without Ray ---------------------------------------------------
def _searcher(tmp_path, **changes) -> tuple[RecipeSearcher, SweepDir]:
    """Rounds drawn up front (`model: none`): what these tests check is the zoom's planning."""
    spec = load_spec(tiny_spec(**{"rounds": {"count": 2, "model": "none"}, "samples": 4, **changes}))
    directory = SweepDir.create(tmp_path, spec.name)
    directory.write_yaml(directory.spec_yaml, spec.to_dict())
    slots = round_slots(spec, spec.space, staged=False)
    directory.state.create(SweepState(rounds=[s.to_dict() for s in slots]))
    plan = SweepPlan(directory, spec.to_dict(), spec.space.to_dict(), tuple(slots))
    return RecipeSearcher(plan), directory


def test_searcher_plans_round_two_once_round_one_is_out_and_half_reported(tmp_path):
    searcher, directory = _searcher(tmp_path)
    handed = [searcher.suggest(f"t{i}") for i in range(4)]
    assert [c["plan_id"] for c in handed] == ["r1-000", "r1-001", "r1-002", "r1-003"]
    assert searcher.suggest("t4") is None and not directory.round_plan(2).exists()  # nothing reported yet
    for i, config in enumerate(handed[:2]):
        searcher.on_trial_complete(f"t{i}", {"epoch": 4, "dev_accuracy": 0.5 + config["lr"] / 10})
    config = searcher.suggest("t4")
    assert config["plan_id"] == "r2-000" and directory.round_plan(2).exists()
    assert directory.state.read().round_status == {"1": "running", "2": "running"}
    second = Space.from_dict(directory.read_yaml(directory.round_space(2)))
    assert second["lr"].contains(config["lr"])
    # two results, top quarter: one region, around the better of them, and round 2 samples inside it, but for
    # its exploring share (rounds.explore: 1 of 4), drawn from the whole space
    regions = [Space.from_dict(r) for r in directory.read_yaml(directory.round_regions(2))]
    assert len(regions) == 1 and regions[0]["lr"].contains(max(c["lr"] for c in handed[:2]))
    assert sum(regions[0]["lr"].contains(c["lr"]) for c in read_plan(directory, 2)) >= 3
    for i in range(5, 8):
        assert searcher.suggest(f"t{i}")["plan_id"] == f"r2-00{i - 4}"
    assert searcher.suggest("t8") == "FINISHED"


def test_searcher_state_survives_save_and_restore_and_reuses_a_saved_plan(tmp_path):
    searcher, directory = _searcher(tmp_path)
    for i in range(3):
        searcher.suggest(f"t{i}")
    searcher.on_trial_complete("t0", {"dev_accuracy": 0.7})
    path = tmp_path / "searcher.pkl"
    searcher.save(str(path))
    again, _ = _searcher(tmp_path / "other")
    again.plan = searcher.plan
    again.restore(str(path))
    assert again.suggest("t3")["plan_id"] == "r1-003" and "r1-000" in again.reported
    # A plan written before a restart is read back, not planned afresh.
    planned = read_plan(directory, 1)
    pd.DataFrame([{**planned[0], "lr": 0.0123}]).to_csv(directory.round_plan(2), index=False)
    directory.write_yaml(
        directory.round_space(2), Space.from_dict(directory.read_yaml(directory.round_space(1))).to_dict()
    )
    again.on_trial_complete("t1", {"dev_accuracy": 0.6})
    assert again.suggest("t4")["lr"] == 0.0123


def test_searcher_skips_the_rest_of_a_round_whose_budget_share_is_spent(tmp_path):
    searcher, directory = _searcher(tmp_path)
    searcher.budget = Budget(100.0, spent=10.0)
    first = searcher.suggest("t0")
    assert first["plan_id"] == "r1-000"
    searcher.on_trial_complete("t0", {"dev_accuracy": 0.5})  # the first report: rounds share the 90 s left
    assert searcher.budget.training_from is not None and searcher.budget.training_from >= 10.0
    searcher.budget.spent = 60.0  # round 1's share (half of what was left) is spent: zoom now
    assert searcher.suggest("t1")["plan_id"] == "r2-000"
    searcher.budget = Budget(100.0, spent=100.0)
    assert searcher.suggest("t2") == "FINISHED"
    assert set(directory.state.read().not_started) == {"r1-001", "r1-002", "r1-003", "r2-001", "r2-002", "r2-003"}


def test_a_model_guided_round_whose_budget_share_is_spent_stops_proposing(tmp_path):
    searcher, directory = _searcher(tmp_path, rounds=2)  # model: gp, the default
    searcher.budget = Budget(100.0, spent=10.0)
    first = searcher.suggest("t0")
    assert first["plan_id"] == "r1-000" and searcher.guided is not None  # round 1: 4 draws before the model fits
    searcher.on_trial_complete("t0", {"dev_accuracy": 0.5})
    searcher.budget.spent = 60.0  # round 1's share is spent: the rest of its initial draws are left unstarted
    assert searcher.suggest("t1")["plan_id"] == "r2-000"
    assert searcher.skipped == ["r1-001", "r1-002", "r1-003"]  # recorded in sweep.json when the sweep ends
    assert len(read_plan(directory, 2)) == 1  # proposed one at a time, each written before it runs
