"""Real sweeps on the shared local Ray: tables, statuses, ASHA pruning, rounds, staging, refine."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import sweep
from search_spaces import Space, load_spec
from sweep import RunOptions, refine_sweep, run_sweep
from sweep.run.rounds import RoundSlot, explore_count
from sweep.store import schema as S
from tests.conftest import tiny_spec

pytestmark = [pytest.mark.ray, pytest.mark.usefixtures("ray_instance")]


def _options(tmp_path, **changes) -> RunOptions:
    return RunOptions(storage=str(tmp_path), quiet=True, final_test=False, **changes)


def test_sweep_tables_statuses_and_asha_pruning(tmp_path):
    spec = load_spec(tiny_spec(samples=8))
    result = run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True))

    trials = result.trials
    assert len(trials) == 8 and trials[S.PLAN_ID].is_unique
    assert set(trials[S.STATUS]) <= set(S.STATUSES)
    assert trials[S.STATUS].value_counts().sum() == 8
    # ASHA really prunes: with rungs at 1, 2, 4 epochs some trials stop below the full budget.
    pruned = trials[trials[S.STATUS] == S.PRUNED]
    assert not pruned.empty and (pruned[S.EPOCHS] < 4).all()
    assert set(pruned[S.RUNG]) <= {1, 2}
    assert (trials.loc[trials[S.STATUS] == S.COMPLETED, S.EPOCHS] == 4).all()
    # Real values on their scale, not the exponent r.
    assert trials["momentum"].between(0.5, 0.99).all() and trials["lr"].between(1e-3, 1.0).all()
    assert set(trials["batch_size"]) <= {64, 128, 256}
    # History: one row per trial per epoch, matching the trials' epoch counts.
    # (Reports are batched; every epoch still gets its row.)
    per_trial = result.history.groupby(S.PLAN_ID)[S.EPOCH].apply(list)
    epochs = trials.set_index(S.PLAN_ID)[S.EPOCHS]
    assert {k: v for k, v in per_trial.items()} == {k: list(range(1, n + 1)) for k, n in epochs.items()}
    assert {"train_loss", "dev_accuracy", "lr", "train_seconds"} <= set(result.history.columns)
    # The winner's final checkpoint is evaluated once on the test split.
    test = result.state["summary"]["test"]
    assert test["plan_id"] == result.best()[S.PLAN_ID] and test["source"] == "checkpoint"
    assert 0.0 < test["test_accuracy"] <= 1.0
    # What is on disk alone rebuilds the same tables.
    again = sweep.load(result.path)
    pd.testing.assert_frame_equal(again.trials, trials)
    assert again.best()[S.PLAN_ID] == result.best()[S.PLAN_ID]


def test_two_rounds_zoom_inside_the_original_bounds(tmp_path):
    spec = load_spec(tiny_spec(rounds={"count": 2, "model": "none"}, samples=6))  # the zoom's own draws
    result = run_sweep(spec, _options(tmp_path))

    assert sorted(result.trials[S.ROUND].unique()) == [1, 2]
    assert (result.trials.groupby(S.ROUND).size() == 6).all()
    import yaml

    first = Space.from_dict(yaml.safe_load((result.path / "rounds" / "round-1.yaml").read_text()))
    second = Space.from_dict(yaml.safe_load((result.path / "rounds" / "round-2.yaml").read_text()))
    lr1, lr2 = first["lr"], second["lr"]
    assert lr1.low <= lr2.low < lr2.high <= lr1.high
    assert math.log10(lr2.high / lr2.low) < math.log10(lr1.high / lr1.low)
    round2 = result.trials[result.trials[S.ROUND] == 2]
    inside = round2["lr"].between(lr2.low, lr2.high) & round2["momentum"].between(
        second["momentum"].low, second["momentum"].high
    )
    exploring = explore_count(spec, RoundSlot(2, None, zoom=True, samples=6))  # from the whole space again
    assert exploring == 2 and inside.sum() >= 6 - exploring
    assert round2["lr"].between(lr1.low, lr1.high).all()


def test_staged_holds_tier_one_at_its_best(tmp_path):
    spec = load_spec(tiny_spec(samples=4))
    result = run_sweep(spec, _options(tmp_path, staged=True))

    trials = result.trials
    assert sorted(trials[S.STAGE].unique()) == [1, 2]
    stage1, stage2 = trials[trials[S.STAGE] == 1], trials[trials[S.STAGE] == 2]
    best_lr = stage1.sort_values(S.BEST, ascending=False).iloc[0]["lr"]
    assert (stage2["lr"] == best_lr).all()
    # Stage 1 held the tier-2 parameters at their defaults; stage 2 samples them.
    assert (stage1["momentum"] == 0.9).all() and (stage1["batch_size"] == 128).all()
    assert stage2["momentum"].nunique() > 1


def test_refine_adds_a_zoomed_round(tmp_path):
    first = run_sweep(load_spec(tiny_spec(samples=4)), _options(tmp_path))
    refined = refine_sweep(first.path, rounds=1, samples=3, options=_options(tmp_path))

    assert refined.path == first.path
    assert refined.trials.groupby(S.ROUND).size().to_dict() == {1: 4, 2: 3}
    assert (first.path / "rounds" / "round-2.yaml").exists()


def _failing(samples: int, **space) -> dict:
    """A sweep whose trials raise for x > `fail_above` (a bug the pre-flight cannot see: it is in the code)."""
    return {"name": "fails", "trainable": "tests.toy_trainables:fails_above", "samples": samples, "seed": 4,
            "scheduler": "fifo", "space": {"x": {"uniform": [0, 1]}, "epochs": 2, **space}}  # fmt: skip


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(tmp_path):
    result = run_sweep(load_spec(_failing(6, fail_above=0.5)), _options(tmp_path))

    trials = result.trials
    assert len(trials) == 6 and (trials["x"] > 0.5).any() and (trials["x"] <= 0.5).any()
    assert (trials.loc[trials["x"] > 0.5, S.STATUS] == S.ERRORED).all()
    assert (trials.loc[trials["x"] <= 0.5, S.STATUS] == S.COMPLETED).all()
    errors = trials.loc[trials["x"] > 0.5, S.ERROR]
    assert errors.str.match(r"ValueError: x=0\.\d+ is above 0\.5$").all()


def test_fail_fast_stops_at_the_first_error_and_keeps_the_results(tmp_path):
    spec = load_spec(_failing(2, fail_above=-1.0))
    with pytest.raises(
        sweep.SweepError, match=r"a trial failed and --fail-fast stopped the sweep: r1-00\d: .*ValueError: x=0\.\d+"
    ):
        run_sweep(spec, _options(tmp_path, fail_fast=True))
    [directory] = [p.parent for p in tmp_path.glob("*/sweep.json")]
    result = sweep.load(directory)
    assert result.status == "failed" and (result.trials[S.STATUS] == S.ERRORED).all()
