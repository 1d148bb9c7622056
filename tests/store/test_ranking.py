"""The one ranking: a pruned trial's lucky early reading never beats trials that trained to a comparable rung."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sweep.store import schema as S
from sweep.store.ranking import comparable_rung, rank_trials
from sweep.store.results import SweepResult


def trials(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[S.PLAN_ID, S.STATUS, S.EPOCHS, S.BEST])


def test_a_pruned_trial_with_a_better_early_reading_is_not_the_winner_under_min_or_max():
    lucky_loss = trials([("r2-010", S.PRUNED, 6, 0.4374), ("r1-003", S.COMPLETED, 30, 0.4380),
                         ("r1-004", S.COMPLETED, 30, 0.4500), ("r1-005", S.COMPLETED, 30, 0.4700),
                         ("r1-006", S.PRUNED, 2, 0.4000)])  # fmt: skip
    result = SweepResult(Path("."), lucky_loss, pd.DataFrame(), {"metric": "val_mse", "mode": "min"})
    assert result.best()[S.PLAN_ID] == "r1-003"
    assert list(result.ranked()[S.PLAN_ID]) == ["r1-003", "r1-004", "r1-005", "r2-010", "r1-006"]
    lucky_accuracy = lucky_loss.assign(**{S.BEST: [0.99, 0.90, 0.85, 0.80, 0.995]})
    assert list(rank_trials(lucky_accuracy, "max")[S.PLAN_ID])[:2] == ["r1-003", "r1-004"]


def test_the_comparable_rung_is_the_most_epochs_enough_trials_reached():
    assert comparable_rung(pd.Series([30, 6, 6, 6, 2, 2])) == 6  # one completed trial alone is no comparison
    assert comparable_rung(pd.Series([30, 30, 30, 6])) == 30
    assert comparable_rung(pd.Series([5, 3])) == 3  # fewer trials than enough: all of them


def test_below_the_rung_more_epochs_go_first_and_errored_and_unscored_trials_last():
    table = trials([("a", S.PRUNED, 2, 0.99), ("b", S.ERRORED, 1, 0.999), ("c", S.PRUNED, 6, 0.5),
                    ("d", S.COMPLETED, 18, 0.7), ("e", S.COMPLETED, 18, 0.8), ("f", S.COMPLETED, 18, 0.6),
                    ("g", S.COMPLETED, 18, float("nan"))])  # fmt: skip
    assert list(rank_trials(table, "max")[S.PLAN_ID]) == ["e", "d", "f", "c", "a", "g", "b"]


def test_a_results_repr_is_one_line_naming_the_winner_not_the_tables():
    table = trials([("r1-000", S.COMPLETED, 4, 0.91234), ("r1-001", S.COMPLETED, 4, 0.8)])
    text = repr(SweepResult(Path("/tmp/s"), table, pd.DataFrame(), {"status": "completed"}))
    assert text == "SweepResult('/tmp/s', completed, 2 trials, best r1-000 dev_accuracy 0.9123)"


def test_the_zooms_centres_and_a_stages_hold_follow_the_one_ranking():
    """A trial pruned at epoch 2 on one lucky reading is neither a region's centre nor the config a stage holds."""
    from search_spaces import Space, parse_spec
    from sweep.run.rounds import Outcome, RoundSlot, best_config, ranked, round_regions, round_space

    space = Space.from_dict({"lr": {"loguniform": [1e-4, 1e-1]}})
    spec = parse_spec({"space": space.to_dict(), "rounds": {"count": 2, "regions": 1, "top_fraction": 0.25}})
    lucky = Outcome("r1-000", 1, None, {"lr": 1e-4}, 0.99, epochs=2, status=S.PRUNED)
    trained = [Outcome(f"r1-00{i}", 1, None, {"lr": 10.0 ** -(1 + i / 2)}, 0.9 - i / 100, epochs=30) for i in (1, 2, 3)]
    outcomes = [lucky, *trained]
    assert [o.plan_id for o in ranked(outcomes, "max")] == ["r1-001", "r1-002", "r1-003", "r1-000"]
    assert best_config(outcomes, "max") == trained[0].config
    slot = RoundSlot(2, None, zoom=True, samples=4)
    envelope = round_space(slot, space, space, outcomes, spec)
    (region,) = round_regions(slot, envelope, space, outcomes, spec)
    assert region["lr"].contains(trained[0].config["lr"]) and not region["lr"].contains(1e-4)
    assert not envelope["lr"].contains(1e-4)  # the one-box zoom is around the top trial that trained, too
    level = [Outcome(o.plan_id, 1, None, o.config, o.best) for o in outcomes]  # no epochs known: by the metric
    assert best_config(level, "max") == {"lr": 1e-4}
