"""`sweep retest` on one tiny real sweep, on the shared local Ray: rows, summary, seeds, --data, appending."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from search_spaces import load_spec
from sweep import RunOptions, run_sweep
from sweep.store import schema as S
from sweep.winners.retest import FIRST_SEED, retest
from sweep_errors import SweepError
from tests.conftest import run_cli, tiny_spec

USER_PROJECT = Path(__file__).parents[1] / "user_project"


@pytest.fixture(scope="module")
def finished(tmp_path_factory, ray_instance):
    """A 4-trial, 2-epoch sweep, run once for the whole module."""
    space = {**tiny_spec()["space"], "epochs": 2}
    storage = tmp_path_factory.mktemp("retest")
    options = RunOptions(storage=str(storage), quiet=True, final_test=False, dashboard=False)
    return run_sweep(load_spec(tiny_spec(samples=4, space=space)), options)


@pytest.mark.ray
def test_rows_per_config_and_a_summary_that_matches_them(finished):
    told: list = []
    outcome = retest(finished.path, top=2, seeds=2, observer=told.append)
    assert [(e.done, e.total) for e in told] == [(1, 4), (2, 4), (3, 4), (4, 4)], "one event per run done"

    rows = pd.read_csv(finished.path / "retest.csv")
    rows = rows[rows["retest_id"] == outcome.retest_id]
    assert len(rows) == 4 and rows.groupby(S.PLAN_ID).size().tolist() == [2, 2]
    # The two best configs by the sweep's metric, in order, retrained at their full 2 epochs.
    best_two = finished.ranked()[S.PLAN_ID].head(2).tolist()
    assert rows.drop_duplicates(S.PLAN_ID)[S.PLAN_ID].tolist() == best_two
    assert (rows["stopped_epoch"] == 2).all() and (rows["epochs"] == 2).all()
    assert set(rows["seed"]) == {FIRST_SEED, FIRST_SEED + 1} and (rows["data"] == "digits").all()
    assert rows["test_accuracy"].between(0, 1).all() and rows["dev_accuracy"].between(0, 1).all()
    # Seeds really differ: the same config trains to different weights.
    assert rows.groupby(S.PLAN_ID)["dev_loss"].nunique().min() == 2

    summary = pd.read_csv(finished.path / "retest_summary.csv").set_index(S.PLAN_ID)
    means = rows.groupby(S.PLAN_ID)["dev_accuracy"].mean()
    np.testing.assert_allclose(summary.loc[means.index, "mean"], means)
    np.testing.assert_allclose(summary.loc[means.index, "std"], rows.groupby(S.PLAN_ID)["dev_accuracy"].std())
    assert (summary["n"] == 2).all() and sorted(summary["original_rank"]) == [1, 2]
    assert sorted(summary["new_rank"]) in ([1, 2], [1, 1])
    assert outcome.holds == (summary.loc[best_two[0], "new_rank"] == 1)
    assert np.isnan(outcome.spearman)  # two configs: a rank correlation would be ±1 by construction
    assert "Spearman" not in outcome.text() and "no rank correlation: it needs 5 configs" in outcome.text()
    assert "test_accuracy" in outcome.text()
    # like with like: the original side is the trial's last epoch, as the retest's runs are
    last = finished.ranked().set_index(S.PLAN_ID)[S.LAST]
    assert summary.loc[best_two, "original_metric"].tolist() == pytest.approx(last[best_two].tolist())


@pytest.mark.ray
def test_new_data_is_recorded_and_a_second_retest_appends(finished, tmp_path):
    from sklearn.datasets import load_digits

    digits = load_digits()
    frame = pd.DataFrame(digits.data[:600]).add_prefix("px")
    frame["label"] = digits.target[:600]
    data = tmp_path / "fresh.csv"
    frame.to_csv(data, index=False)
    path = finished.path / "retest.csv"
    before = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=["retest_id", "seed"])

    outcome = retest(finished.path, top=1, seeds=2, data=str(data))
    assert "ranking holds" in outcome.text() and "no rank correlation" in outcome.text()  # one config

    rows = pd.read_csv(path)
    latest = rows[rows["retest_id"] == outcome.retest_id]
    assert len(latest) == 2 and (latest["data"] == str(data)).all()
    assert len(rows) == len(before) + 2  # earlier retests are kept
    assert not set(latest["seed"]) & set(before["seed"])  # and no seed is ever reused
    summary = pd.read_csv(finished.path / "retest_summary.csv")
    assert summary.iloc[-1]["data"] == str(data) and summary.iloc[-1]["n"] == 2


def test_cli_user_errors_are_one_line(tmp_path):
    proc = run_cli("retest", str(tmp_path / "nope"), "--top", "2", "--seeds", "2", timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1


def user_sweep(root: Path) -> Path:
    """A finished two-trial sweep of the docs-style user trainable, written by hand (no run needed)."""
    root.mkdir(parents=True)
    spec = yaml.safe_load((USER_PROJECT / "docs.yaml").read_text())
    (root / "spec.yaml").write_text(yaml.safe_dump(spec))
    state = {"name": "docs", "status": "completed", "metric": "dev_accuracy", "mode": "max", "params": ["lr", "epochs"]}
    state["project_dir"] = str(USER_PROJECT)
    (root / "sweep.json").write_text(json.dumps(state))
    rows = [
        {S.PLAN_ID: "r1-000", S.STATUS: S.COMPLETED, S.EPOCHS: 3, S.BEST: 0.875, "lr": 0.5, "epochs": 3},
        {S.PLAN_ID: "r1-001", S.STATUS: S.COMPLETED, S.EPOCHS: 3, S.BEST: 0.5, "lr": 0.2063, "epochs": 3},
    ]
    pd.DataFrame(rows).to_csv(root / "trials.csv", index=False)
    return root


@pytest.mark.ray
@pytest.mark.usefixtures("ray_instance")
def test_a_user_trainable_is_retested_and_the_fresh_seed_reaches_it(tmp_path):
    # Before: refused with "retest runs built-in trainables only".
    outcome = retest(user_sweep(tmp_path / "docs-20261130-100000"), top=2, seeds=2)
    rows = outcome.rows.set_index([S.PLAN_ID, "seed"])
    for seed in (FIRST_SEED, FIRST_SEED + 1):
        # the trainable scores 0.875 at lr 0.5 after 3 epochs, plus (seed % 97) × 1e-4: the seed arrived
        assert rows.loc[("r1-000", seed), "dev_accuracy"] == pytest.approx(0.875 + (seed % 97) * 1e-4)
        assert rows.loc[("r1-000", seed), "stopped_epoch"] == 3
    assert rows["test_accuracy"].isna().all()  # no test split of ours for a user trainable
    assert list(outcome.summary["new_rank"]) == [1, 2] and outcome.holds
    assert "no test_accuracy (the trainable reports none)" in outcome.text()


@pytest.mark.ray
def test_a_missing_retest_data_file_fails_before_ray(finished, tmp_path):
    with pytest.raises(SweepError, match="not found"):
        retest(finished.path, top=1, seeds=1, data=str(tmp_path / "missing.csv"))


@pytest.mark.ray
def test_retest_data_that_the_runs_cannot_load_fails_before_ray(finished, tmp_path):
    """Before: every run failed on it, and the retest printed a table of empty means and exited 0."""
    bad = tmp_path / "holes.csv"
    pd.DataFrame({"a": [0.1, np.nan] * 20, "b": np.arange(40.0), "label": [0, 1] * 20}).to_csv(bad, index=False)
    rows = len(pd.read_csv(finished.path / "retest.csv")) if (finished.path / "retest.csv").exists() else 0
    with pytest.raises(SweepError, match=r"^data 'holes.csv': features hold missing or infinite values"):
        retest(finished.path, top=1, seeds=1, data=str(bad))
    assert (len(pd.read_csv(finished.path / "retest.csv")) if (finished.path / "retest.csv").exists() else 0) == rows


@pytest.mark.ray
def test_a_retest_whose_every_run_failed_exits_1_in_one_line(tmp_path, ray_instance):
    """Before: exit 0 and "winner on mean dev_accuracy: r1-000, ... over 0 seed(s)". The project has `.git` and
    `.venv` inside, as most do: Ray's notice that it leaves them out of the shipped project printed a line for each
    (sweep leaves them out itself), so stderr is exactly the one line."""
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / ".venv").mkdir()
    root = tmp_path / "wrong-20261130-100000"
    root.mkdir()
    spec = {"name": "wrong", "trainable": "tests.toy_trainables:wrong_metric", "space": {"x": {"uniform": [0, 1]}}}
    (root / "spec.yaml").write_text(yaml.safe_dump(spec))
    state = {"name": "wrong", "status": "completed", "metric": "dev_accuracy", "mode": "max", "params": ["x"]}
    (root / "sweep.json").write_text(json.dumps({**state, "project_dir": str(project)}))
    row = {S.PLAN_ID: "r1-000", S.STATUS: S.COMPLETED, S.EPOCHS: 2, S.BEST: 0.5, "x": 0.5}
    pd.DataFrame([row]).to_csv(root / "trials.csv", index=False)
    proc = run_cli("retest", str(root), "--top", "1", "--seeds", "2", "--address", ray_instance.address, "--quiet")
    assert proc.returncode == 1 and proc.stdout == "", (proc.stdout, proc.stderr)
    assert proc.stderr == (
        "error: every retest run failed (2 rows in retest.csv); the first: no run reported dev_accuracy\n"
    )
    assert len(pd.read_csv(root / "retest.csv")) == 2  # the failed runs' rows are kept
