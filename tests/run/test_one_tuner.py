"""One Tuner runs every round: later rounds start while earlier stragglers train; resume after a kill mid-round-2
trains the saved plan; `sampler: tpe` concentrates near the optimum; `--time-budget` ends a long sweep in time."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sweep
from search_spaces import Space, load_spec
from sweep import RunOptions, run_sweep
from sweep.store import schema as S
from tests import toy_trainables
from tests.conftest import SWEEP_BIN, run_cli, tiny_spec, wait_for
from tests.toy_trainables import SLOW_PLAN

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.usefixtures("ray_instance")]


def _toy(name: str, **changes) -> dict:
    spec = {
        "name": name,
        "trainable": f"tests.toy_trainables:{name}",
        "samples": 4,
        "rounds": 2,
        "seed": 1,
        "scheduler": "fifo",
        "space": {"x": {"uniform": [0.0, 1.0]}, "epochs": 2},
    }
    spec.update(changes)
    return spec


def _options(tmp_path, **changes) -> RunOptions:
    return RunOptions(storage=str(tmp_path), quiet=True, final_test=False, **changes)


def _starts(result: sweep.SweepResult) -> pd.Series:
    """When each trial started, on the sweep's clock: its first report's time less its time to that report."""
    history = result.history.sort_values(S.EPOCH)
    first = history.groupby(S.PLAN_ID).first()
    per_epoch = (first[S.WALL] - result.history.groupby(S.PLAN_ID)[S.WALL].min()).fillna(0)
    return first[S.WALL] - per_epoch


def test_round_two_starts_while_round_one_still_trains(tmp_path):
    signals = tmp_path / "signals"
    signals.mkdir()
    spec = _toy("slow_last", space={"x": {"uniform": [0.0, 1.0]}, "epochs": 2, "signals": str(signals)},
                rounds={"count": 2, "model": "none"})  # the zoom's own draws: what the last asserts check  # fmt: skip
    result = run_sweep(load_spec(spec), _options(tmp_path / "sweeps"))

    trials = result.trials.set_index(S.PLAN_ID)
    assert trials[S.ROUND].value_counts().to_dict() == {1: 4, 2: 4}
    slow_finished = float(trials.loc[SLOW_PLAN, S.FINISHED])
    round2_first_report = result.history.loc[result.history[S.ROUND] == 2, S.WALL].min()
    assert round2_first_report < slow_finished, "round 2 waited for round 1's straggler"
    # Round 2 zoomed inside round 1's bounds, and its configs lie inside round 2's space, but for its exploring
    # share (rounds.explore: 1 of 4), drawn from the whole space.
    first = Space.from_dict(yaml.safe_load((result.path / "rounds" / "round-1.yaml").read_text()))["x"]
    second = Space.from_dict(yaml.safe_load((result.path / "rounds" / "round-2.yaml").read_text()))["x"]
    assert first.low <= second.low < second.high <= first.high and second.high - second.low < first.high - first.low
    assert trials.loc[trials[S.ROUND] == 2, "x"].between(second.low, second.high).sum() >= 3
    assert (result.path / "ray" / "sweep").is_dir() and not list((result.path / "ray").glob("round-*"))


def test_kill_mid_round_two_then_resume_trains_the_saved_plan_once(tmp_path, ray_instance):
    # The trainable ships beside the spec (the project directory), as a user's does on a cluster.
    (tmp_path / "toy.py").write_text(Path(toy_trainables.__file__).read_text())
    spec = {**_toy("steady"), "trainable": "toy:steady"}
    spec["space"] = {"x": {"uniform": [0.0, 1.0]}, "epochs": 4, "seconds": 1.2}
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    storage = tmp_path / "sweeps"
    command = [SWEEP_BIN, "launch", str(spec_path), "--storage", str(storage), "--address", ray_instance.address, "-q"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        directory = wait_for(lambda: next(storage.glob("steady-*"), None), "the sweep directory", proc=proc)
        plan2 = directory / "rounds" / "round-2.plan.csv"
        wait_for(lambda: plan2.exists() and _round2_reports(directory), "a round-2 report", timeout=180, proc=proc)
        saved = pd.read_csv(plan2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(pd.read_csv(directory / "trials.csv")) < 8, "the sweep finished before the kill"

    run_cli("resume", str(directory), "--address", ray_instance.address, "--quiet", check=True)
    result = sweep.load(directory)
    # what round 2 had proposed before the kill is kept as it was; the model proposes the rest after the resume
    after = pd.read_csv(plan2)
    pd.testing.assert_frame_equal(after.iloc[: len(saved)], saved)
    planned = list(pd.read_csv(directory / "rounds" / "round-1.plan.csv")[S.PLAN_ID]) + list(after[S.PLAN_ID])
    assert sorted(result.trials[S.PLAN_ID]) == sorted(planned)
    assert result.status == "completed" and (result.trials[S.STATUS] == S.COMPLETED).all()
    round2 = result.trials.set_index(S.PLAN_ID).loc[saved[S.PLAN_ID], "x"].to_numpy()
    assert np.allclose(round2, saved["x"].to_numpy())


def _round2_reports(directory) -> bool:
    path = directory / "history.csv"
    return path.exists() and (pd.read_csv(path)[S.ROUND] == 2).any()


def test_tpe_concentrates_near_the_optimum_more_than_random(tmp_path):
    def spread(sampler: str) -> float:
        spec = _toy("log_quadratic", sampler=sampler, samples=32, rounds={"count": 1, "model": "none"},
                    space={"lr": {"loguniform": [1e-6, 1.0]}})  # fmt: skip
        result = run_sweep(load_spec(spec), _options(tmp_path / sampler, max_concurrent=1))
        assert len(result.trials) == 32 and result.trials["lr"].between(1e-6, 1.0).all()
        later = result.trials.sort_values(S.PLAN_ID).iloc[16:]
        return float(np.mean(np.abs(np.log10(later["lr"]) + 2.0)))

    tpe, rand = spread("tpe"), spread("random")
    assert tpe < 0.5 * rand, (tpe, rand)


def test_time_budget_ends_a_long_sweep_and_scores_the_winner(tmp_path):
    space = {**tiny_spec()["space"], "epochs": 5000}  # each trial trains longer than the budget: some are stopped
    spec = load_spec(tiny_spec(samples=40, rounds=2, time_budget="20s", scheduler="fifo", space=space))
    started = time.monotonic()
    result = run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True))
    took = time.monotonic() - started

    grace = 15.0  # stopping in-flight trials, the final summary and scoring the winner on the test split
    assert took < 20 + grace, took
    assert result.status == "completed"
    trials = result.trials
    assert (trials[S.STATUS] == S.STOPPED).any() and not trials[S.STATUS].isna().any()
    started_ids = set(result.history[S.PLAN_ID])
    assert started_ids <= set(trials[S.PLAN_ID]), "a started trial has no row"
    summary = result.state["summary"]
    assert summary["test"]["plan_id"] == result.best()[S.PLAN_ID]
    assert summary["budget"]["seconds"] == 20.0 and math.isfinite(summary["budget"]["used"])
