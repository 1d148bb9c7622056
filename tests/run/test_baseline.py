"""The baseline: a sweep's first trial trains the defaults, so its winner is measured against them."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from search_spaces import Space, SpecError, baseline_config, load_spec, parse_spec, preset_names, sample_configs
from search_spaces.presets import preset_path
from sweep.run.rounds import RoundSlot, leads_with_baseline, plan_configs, round_slots
from sweep.run.sweep_plan import SweepPlan
from sweep.store import schema as S
from sweep.store.layout import SweepDir
from sweep.store.results import SweepResult
from sweep.store.state import SweepState
from sweep.store.tables import read_table
from sweep.winners.baseline import baseline_line
from sweep.winners.summary import stage_gains, summary_text
from tests.conftest import tiny_spec

_MIXED = {
    "lr": {"loguniform": [1e-4, 1e-2]},  # no default: the middle of log10 α, 1e-3
    "momentum": {"beta": [0.9, 0.999]},  # the middle of log10(1 − β): 0.99
    "batch_size": {"pow2": [16, 1024]},  # the middle of log2: 128
    "layers": {"int": [1, 3]},
    "keep_prob": {"uniform": [0.5, 1.0], "default": 0.8},
    "optimizer": {"choice": ["sgd", "adam", "rmsprop"], "default": "adam"},
    "epochs": 5,
}


def test_the_baseline_takes_each_default_else_the_middle_of_the_range_on_its_scale():
    config = baseline_config(Space.from_dict(_MIXED))
    assert list(config) == list(_MIXED)  # every param of the space, fixed ones at their value
    assert config["keep_prob"] == 0.8 and config["optimizer"] == "adam" and config["epochs"] == 5
    assert math.isclose(config["lr"], 1e-3) and math.isclose(config["momentum"], 0.99)
    assert config["batch_size"] == 128 and config["layers"] == 2


def test_the_baseline_lies_in_the_space_for_every_preset():
    for name in preset_names():
        space = load_spec(str(preset_path(name))).space
        config = baseline_config(space)
        assert all(p.contains(config[p.name]) for p in space.tuned()), name


def test_a_sweeps_first_round_leads_with_the_baseline_in_place_of_its_last_draw():
    spec = load_spec(tiny_spec(samples=5, rounds=2))
    first = RoundSlot(1, None, zoom=False, samples=5)
    planned = plan_configs(spec, spec.space, first)
    drawn = sample_configs(spec.space, 5, spec.sampler, spec.seed)
    assert len(planned) == 5 and [c["plan_id"] for c in planned][:2] == ["r1-000", "r1-001"]
    strip = [{k: v for k, v in c.items() if k not in ("plan_id", "data")} for c in planned]
    assert strip[0] == baseline_config(spec.space) and strip[0]["lr"] == 0.05  # the spec's default
    assert strip[1:] == drawn[:4]


@pytest.mark.parametrize(
    "changes, slot",
    [
        ({"baseline": False}, RoundSlot(1, None, zoom=False, samples=4)),
        ({"sampler": "grid"}, RoundSlot(1, None, zoom=False, samples=4)),
        ({}, RoundSlot(2, None, zoom=True, samples=4)),  # a zoomed round, or a refine's first new round
    ],
    ids=["baseline-false", "grid", "later-round"],
)
def test_no_baseline_where_it_does_not_belong(changes, slot):
    spec = load_spec(tiny_spec(samples=4, rounds=2, **changes))
    assert not leads_with_baseline(spec, slot)
    planned = plan_configs(spec, spec.space, slot)
    assert all({k: c[k] for k in spec.space.names} != baseline_config(spec.space) for c in planned)


def test_a_staged_sweep_starts_from_every_default():
    spec = load_spec(tiny_spec(samples=3))
    slots = round_slots(spec, spec.space, staged=True)
    assert leads_with_baseline(spec, slots[0]) and not any(leads_with_baseline(spec, s) for s in slots[1:])


def test_baseline_must_be_a_flag_and_round_trips():
    with pytest.raises(SpecError) as err:
        parse_spec(tiny_spec(baseline="yes"))
    assert str(err.value) == "baseline: must be true or false, got 'yes'"
    spec = parse_spec(tiny_spec(baseline=False))
    assert parse_spec(spec.to_dict()).baseline is False and parse_spec(tiny_spec()).baseline is True


def test_tpe_proposes_the_baseline_first(tmp_path):
    pytest.importorskip("optuna")
    from sweep.run.tpe import TpeSearcher

    spec = load_spec(tiny_spec(sampler="tpe", samples=3, rounds=1))
    directory = SweepDir.create(tmp_path, spec.name)
    directory.write_yaml(directory.spec_yaml, spec.to_dict())
    slots = round_slots(spec, spec.space, staged=False)
    directory.state.create(SweepState(rounds=[s.to_dict() for s in slots]))
    searcher = TpeSearcher(SweepPlan(directory, spec.to_dict(), spec.space.to_dict(), tuple(slots)))
    first, second = searcher.suggest("t0"), searcher.suggest("t1")
    expected = baseline_config(spec.space)
    assert {k: first[k] for k in expected} == pytest.approx(expected)
    assert {k: second[k] for k in expected} != pytest.approx(expected)


def _result(tmp_path, rows: list[dict]) -> SweepResult:
    """A sweep directory with round 1's space and these trial rows, read back through trials.csv."""
    spec = load_spec(tiny_spec())
    directory = SweepDir.create(tmp_path, spec.name)
    directory.write_yaml(directory.round_space(1), spec.space.to_dict())
    pd.DataFrame(rows).to_csv(directory.trials_csv, index=False)
    trials = read_table(directory.trials_csv, key=[S.PLAN_ID])
    return SweepResult(directory.root, trials, pd.DataFrame(), {"metric": "dev_accuracy", "mode": "max"})


def _row(plan: str, best: float | None, **config) -> dict:
    base = {"lr": 0.05, "momentum": 0.9, "batch_size": 128}
    return {S.PLAN_ID: plan, S.STATUS: "completed", S.EPOCHS: 4, S.BEST: best, **base, **config}


def test_the_summary_says_what_the_winner_gained_over_the_baseline(tmp_path):
    result = _result(tmp_path, [_row("r1-000", 0.5), _row("r1-001", 0.75, lr=0.1), _row("r2-000", 0.6, lr=0.2)])
    line = baseline_line(result)
    assert line == (
        "baseline r1-000 (every parameter at its default): best dev_accuracy 0.5000 in 4 epochs; "
        "the winner r1-001 improves on it by 0.2500"
    )
    assert line in summary_text(result)


def test_under_mode_min_a_lower_loss_is_said_to_improve_not_to_gain_a_negative(tmp_path):
    result = _result(tmp_path, [_row("r1-000", 0.60), _row("r1-001", 0.4374, lr=0.1), _row("r2-000", 0.5, lr=0.2)])
    result = SweepResult(result.path, result.trials, result.history, {"metric": "val_mse", "mode": "min"})
    assert baseline_line(result) == (
        "baseline r1-000 (every parameter at its default): best val_mse 0.6000 in 4 epochs; "
        "the winner r1-001 improves on it by 0.1626"
    )


def test_a_baseline_that_wins_or_never_reported_is_said_so(tmp_path):
    won = _result(tmp_path / "a", [_row("r1-000", 0.9), _row("r1-001", 0.7, lr=0.1)])
    assert baseline_line(won).endswith("best dev_accuracy 0.9000 in 4 epochs; no trial beat it")
    failed = _result(tmp_path / "b", [{**_row("r1-000", None), S.STATUS: S.ERRORED}, _row("r1-001", 0.7, lr=0.1)])
    assert baseline_line(failed) == "baseline r1-000 (every parameter at its default): error, no dev_accuracy"


def test_no_baseline_line_when_the_first_trial_was_a_draw(tmp_path):
    result = _result(tmp_path, [_row("r1-000", 0.5, lr=0.0123), _row("r1-001", 0.75, lr=0.1)])
    assert baseline_line(result) is None and "baseline" not in summary_text(result)


def test_stage_lines_under_mode_min_say_how_much_each_stage_improved(tmp_path):
    rows = [{**_row("r1-000", 0.60), S.STAGE: 1}, {**_row("r1-001", 0.50, lr=0.1), S.STAGE: 1}]
    rows += [{**_row("r2-000", 0.45, lr=0.2), S.STAGE: 2}, {**_row("r3-000", 0.47, lr=0.3), S.STAGE: 3}]
    result = _result(tmp_path, rows)
    result = SweepResult(result.path, result.trials, result.history, {"metric": "val_mse", "mode": "min"})
    assert stage_gains(result) == [
        "stage tier 1: best val_mse 0.5000",
        "stage tier 2: best val_mse 0.4500 (improves by 0.0500)",
        "stage tier 3: best val_mse 0.4500",
    ]


def test_the_top_table_prints_the_metric_with_four_decimals(tmp_path):
    from sweep.winners.summary import top_table

    result = _result(tmp_path, [_row("r1-000", 0.438), _row("r1-001", 0.4374, lr=0.1)])
    table = top_table(result)
    assert "0.4380" in table and "0.4374" in table and "0.438 " not in table
