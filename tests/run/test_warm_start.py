"""`sweep launch --warm-start DIR`: an earlier sweep's best configs, projected onto the new space, in round 1."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from search_spaces import Space, load_spec
from sweep.run.warm_start import (
    WARM_FILE,
    project,
    round_one_with_warm_start,
    warm_start_configs,
    warm_start_line,
    write_plan,
)
from sweep.store import schema as S
from sweep_errors import SweepError
from tests.analysis.test_advisor import LOW_LR_SPACE, write_sweep
from tests.conftest import invoke_cli, tiny_spec


@pytest.fixture(scope="module")
def past(tmp_path_factory):
    root = tmp_path_factory.mktemp("warm") / "adv-20261130-100000"
    write_sweep(root, LOW_LR_SPACE, trials=12)
    return root


def test_the_top_configs_are_projected_with_a_note_for_each_one_moved(past) -> None:
    space = Space.from_dict(
        {"lr": {"loguniform": [1e-4, 1e-1]}, "momentum": {"beta": [0.8, 0.95]}, "batch_size": {"pow2": [16, 64]}}
    )
    warm = warm_start_configs(past, space, top=2)
    ranked = pd.read_csv(past / "trials.csv").sort_values(S.BEST, ascending=False)
    assert [w.source_plan for w in warm] == list(ranked[S.PLAN_ID].head(2)) and [w.rank for w in warm] == [1, 2]
    first = warm[0]
    assert set(first.config) == {"lr", "momentum", "batch_size"}
    old_lr = float(ranked.iloc[0]["lr"])
    assert first.config["lr"] == pytest.approx(max(old_lr, 1e-4))
    assert first.config["momentum"] <= 0.95 and first.config["batch_size"] == 32  # the baseline: middle of [16, 64]
    assert "batch_size = 32 (new: the baseline value)" in first.notes
    assert "decay_rate dropped (not in the new space)" in first.notes
    if float(ranked.iloc[0]["momentum"]) > 0.95:
        assert any(n.startswith("momentum ") and n.endswith("(clipped to [0.8, 0.95])") for n in first.notes)


def test_project_snaps_ints_and_pow2_and_replaces_a_missing_choice() -> None:
    space = Space.from_dict(
        {"layers": {"int": [1, 3]}, "batch_size": {"pow2": [16, 256]}, "optimizer": {"choice": ["adam", "sgd"]}}
    )
    config, notes = project({"layers": 5, "batch_size": 300, "optimizer": "momentum"}, space)
    assert config == {"layers": 3, "batch_size": 256, "optimizer": config["optimizer"]}
    assert config["optimizer"] in ("adam", "sgd")
    assert notes[0] == "layers 5 → 3 (clipped to [1, 3])" and notes[1] == "batch_size 300 → 256 (clipped to [16, 256])"
    assert notes[2].startswith("optimizer momentum → ") and notes[2].endswith("(not among [adam, sgd])")
    assert project({"layers": 2, "batch_size": 64, "optimizer": "sgd"}, space)[1] == []


def test_not_a_sweep_and_no_overlap_are_one_line_errors(past, tmp_path) -> None:
    with pytest.raises(SweepError, match=r"--warm-start .*: not a sweep directory \(no trials.csv and spec.yaml"):
        warm_start_configs(tmp_path, Space.from_dict({"lr": {"loguniform": [1e-4, 1]}}))
    with pytest.raises(SweepError, match=r"share none with the new space's tuned ones \(hidden_units\)"):
        warm_start_configs(past, Space.from_dict({"hidden_units": {"int": [8, 64]}}))
    spec = tmp_path / "units.yaml"
    spec.write_text("name: units\nspace:\n  hidden_units: {int: [8, 64]}\n  epochs: 1\n")
    for target, expected in ((tmp_path / "nothing", "not a sweep directory"), (past, "share none")):
        proc = invoke_cli("launch", str(spec), "--warm-start", str(target), "--storage", str(tmp_path / "s"),
                       "--no-dashboard", timeout=120)  # fmt: skip
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and expected in proc.stderr, proc.stderr
        assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())  # nothing left behind


def test_round_one_keeps_its_size_and_the_summary_says_whether_the_old_winner_still_wins(past, tmp_path) -> None:
    space = Space.from_dict({"lr": {"loguniform": [1e-4, 1e-1]}})
    write_plan(tmp_path, past, warm_start_configs(past, space, top=2))
    planned = [{"lr": 0.01 * (i + 1), "data": "digits", S.PLAN_ID: f"r1-{i:03d}"} for i in range(5)]
    merged = round_one_with_warm_start(tmp_path, planned, leads_with_baseline=True)
    assert (
        len(merged) == 5
        and merged[0] == planned[0]
        and [c[S.PLAN_ID] for c in merged] == [p[S.PLAN_ID] for p in planned]
    )
    assert all(c["data"] == "digits" for c in merged) and merged[3]["lr"] == 0.02
    recorded = json.loads((tmp_path / WARM_FILE).read_text())["configs"]
    assert [w["plan_id"] for w in recorded] == ["r1-001", "r1-002"]
    trials = pd.DataFrame({S.PLAN_ID: ["r1-000", "r1-001", "r1-002"], S.BEST: [0.5, 0.9, 0.7]})
    line = warm_start_line(tmp_path, trials, "max")
    assert line is not None and line.endswith(", 0.9) still wins")
    line = warm_start_line(tmp_path, trials.assign(**{S.BEST: [0.95, 0.9, 0.7]}), "max")
    assert line is not None and line.endswith("no longer wins: r1-000 (a new config) scores 0.95")
    lucky = pd.DataFrame({S.PLAN_ID: ["r1-000", "r1-001", "r1-002", "r1-003"], S.BEST: [0.95, 0.9, 0.7, 0.6],
                          S.STATUS: [S.PRUNED] + [S.COMPLETED] * 3, S.EPOCHS: [2, 30, 30, 30]})  # fmt: skip
    line = warm_start_line(tmp_path, lucky, "max")  # ranked as the summary ranks: a pruned lucky reading loses
    assert line is not None and line.endswith(", 0.9) still wins")


@pytest.mark.ray
@pytest.mark.slow
def test_a_warm_started_sweep_retrains_the_old_winner(tmp_path, ray_instance) -> None:
    from sweep import RunOptions, run_sweep

    options = RunOptions(storage=str(tmp_path), quiet=True, final_test=False, dashboard=False)
    first = run_sweep(load_spec(tiny_spec(name="old")), options)
    old_winner = first.best()
    spec = load_spec(tiny_spec(name="new", seed=11))
    spec = spec.replace(space=spec.space.hold("split_seed", 1) if "split_seed" in spec.space else spec.space)
    again = run_sweep(spec, RunOptions(**{**options.to_dict(), "warm_start": str(first.path), "warm_top": 2}))
    assert len(again.trials) == len(first.trials)
    plan = json.loads((again.path / WARM_FILE).read_text())
    carried = next(w for w in plan["configs"] if w["rank"] == 1)
    row = again.trials[again.trials[S.PLAN_ID] == carried["plan_id"]].iloc[0]
    assert row["lr"] == pytest.approx(float(old_winner["lr"]))
    assert warm_start_line(again.path, again.trials, "max") is not None
