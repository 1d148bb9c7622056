"""The trial ledger (sweep.store.ledger): one decoder of a report, one record per trial, rebuilt after a restart
exactly as it was live (a NaN reading stays NaN, a missing one stays missing); the recorder, the searcher and
the tracking callbacks agree on each trial's best and status. No Ray running."""

from __future__ import annotations

import json
import math
import pickle
from types import SimpleNamespace

import pytest

from sweep.run.planner import Planner
from sweep.run.recorder import SweepInfo, SweepRecorder
from sweep.run.trial_guard import ERROR_KEY, TIMEOUT_KEY
from sweep.store import schema as S
from sweep.store.csv_appender import CsvAppender
from sweep.store.layout import SweepDir
from sweep.store.ledger import Ledger, TrialRecord, epochs_of
from sweep.store.state import SweepState
from sweep.store.tables import read_table
from sweep.tracking import TrackingContext, trial_status
from trainables.session import BATCH_KEY

METRIC = "dev_accuracy"
MISSING = None  # an epoch that reported no value of the metric (a trainable that evaluates every other epoch)


def report(values: list[float | None], first: int = 1) -> dict:
    """A batched report as trainables.session.TuneSession sends it: the last epoch's metrics on top."""
    epochs = []
    for epoch, value in enumerate(values, start=first):
        row = {S.EPOCH: epoch, "train_loss": 1.0 / epoch, S.TRAIN_SECONDS: 0.1 * epoch, "node_id": "n1"}
        if value is not MISSING:
            row[METRIC] = value
        epochs.append(row)
    return {**epochs[-1], BATCH_KEY: json.dumps(epochs), "training_iteration": 1, "node_ip": "127.0.0.1"}


def record(values: list[float | None], mode: str = "max") -> TrialRecord:
    return Ledger(METRIC, mode).record("r1-000", epochs_of(report(values), METRIC))


# --- the decoder and one record ----------------------------------------------------------------------------------
def test_a_batched_report_is_one_row_per_epoch_and_a_plain_one_takes_rays_iteration() -> None:
    rows = epochs_of(report([0.5, math.nan, MISSING]), METRIC)
    assert [r[S.EPOCH] for r in rows] == [1, 2, 3] and rows[0][METRIC] == 0.5 and METRIC not in rows[2]
    assert [bool(r.get(S.DIVERGED_KEY)) for r in rows] == [False, True, False]  # only the NaN epoch is flagged
    assert epochs_of({METRIC: 0.5, "training_iteration": 4}) == [{METRIC: 0.5, "training_iteration": 4, "epoch": 4}]


@pytest.mark.parametrize("mode", ["max", "min"])
def test_a_record_holds_epochs_the_last_reading_and_the_best_for_the_mode(mode: str) -> None:
    trial = record([0.31, 0.52, 0.47, 0.18], mode)
    assert (trial.epochs, trial.last, trial.diverged, trial.status) == (4, 0.18, False, None)
    assert trial.best == (0.52 if mode == "max" else 0.18)
    assert trial.row["train_loss"] == 0.25  # the latest epoch's row: train seconds and node for the trial's row


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_reading_marks_the_trial_diverged_and_never_becomes_its_best(bad: float) -> None:
    for mode in ("max", "min"):
        trial = record([0.3, 0.6, bad], mode)
        assert trial.diverged and trial.epochs == 3 and trial.best == (0.6 if mode == "max" else 0.3)


def test_a_missing_reading_is_none_and_no_divergence_a_nan_one_is_nan() -> None:
    missing, nan = record([3, MISSING]), record([3, math.nan])
    assert missing.last is None and not missing.diverged and missing.best == 3.0
    assert math.isnan(nan.last) and nan.diverged  # type: ignore[arg-type]


def test_the_same_epoch_again_replaces_the_latest_row() -> None:
    trial = record([0.2, 0.4, 0.3])
    trial.add({S.EPOCH: 3, METRIC: 0.35, "train_loss": 0.01}, METRIC, "max")  # a resumed trial re-reports epoch 3
    assert (trial.epochs, trial.last, trial.best, trial.row["train_loss"]) == (3, 0.35, 0.4, 0.01)
    trial.add({S.EPOCH: 1, METRIC: 0.1}, METRIC, "max")  # an older epoch counts for the best only
    assert (trial.epochs, trial.last) == (3, 0.35)


# --- live vs rebuilt, and the consumers ---------------------------------------------------------------------------
SCENARIO = {  # per trial: its reports, how it ends (None: still running), the status the recorder gives it
    0: ([[0.5, 0.6, 0.62], [0.63, 0.7, 0.71, 0.72, 0.73, 0.74]], {}, S.COMPLETED),
    1: ([[0.4, 0.45, 0.5]], {}, S.PRUNED),  # ASHA stopped it at rung 3
    2: ([[0.4, math.nan]], {}, S.DIVERGED),  # a NaN metric, the trainable's own flag not set
    3: ([[0.3, 0.45, MISSING]], {}, S.PRUNED),  # its last epoch reported no metric: last is None, not NaN
    4: ([[0.2]], {ERROR_KEY: "ValueError: boom", METRIC: math.nan}, S.ERRORED),  # the guard's error report
    5: ([[0.5, 0.6]], {TIMEOUT_KEY: 30.0, METRIC: math.nan}, S.TIMEOUT),  # the guard's time-out report
    6: ([[0.55, MISSING]], None, None),  # still running at the restart
}


@pytest.fixture()
def sweep_run(tmp_path):
    """The scenario's reports through a recorder and through the very searcher a sweep runs (a Planner's)."""
    planner = Planner({"space": {"lr": {"loguniform": [1e-4, 1]}}, "samples": 8, "rounds": 1}, workers=8,
                      directory=tmp_path / "planner")  # fmt: skip
    directory = SweepDir.create(tmp_path, "ledger")
    directory.state.create(SweepState())
    recorder = SweepRecorder(SweepInfo(str(directory.root), {1: None}, 8, METRIC, "max", 9, (1, 3, 9), 0.0, True))
    trials, tracked = {}, Ledger(METRIC, "max")  # tracked: as the MLflow callback feeds its own ledger
    for index, (reports, end, _) in SCENARIO.items():
        config = {**planner.ask(), "epochs": 9}  # type: ignore[dict-item]
        trial = SimpleNamespace(config=config, trial_id=f"t{index}", status="RUNNING", last_result={}, path=None)
        trials[index] = trial
        first = 1
        for values in reports:
            result = report(values, first)
            first += len(values)
            trial.last_result = result
            recorder.on_trial_result(0, [trial], trial, result)
            planner.searcher.on_trial_result(planner.pending[config[S.PLAN_ID]], result)
            tracked.record(config[S.PLAN_ID], epochs_of(result, METRIC))
        if end is not None:
            trial.last_result = {**end, "training_iteration": 9}
            if end:  # the guard's last report reaches every consumer, as Ray hands it on
                recorder.on_trial_result(0, [trial], trial, trial.last_result)
                tracked.record(config[S.PLAN_ID], epochs_of(trial.last_result, METRIC))
            trial.status = "TERMINATED"
            recorder.on_trial_complete(0, [trial], trial)
    return directory, recorder, planner, trials, tracked


def test_the_ledger_rebuilt_from_history_and_trials_csv_is_the_live_one(sweep_run) -> None:
    directory, recorder, _, trials, _ = sweep_run
    live = recorder.ledger()
    assert {trials[i].config[S.PLAN_ID]: live.get(trials[i].config[S.PLAN_ID]).status for i in SCENARIO} == {
        trials[i].config[S.PLAN_ID]: status for i, (_, _, status) in SCENARIO.items()
    }
    restarted = pickle.loads(pickle.dumps(recorder))  # Tuner.restore unpickles the recorder: files only
    rebuilt = restarted.ledger()
    assert rebuilt is not live and rebuilt == live
    assert rebuilt == Ledger.read(directory, METRIC, "max")
    plan = {i: trials[i].config[S.PLAN_ID] for i in SCENARIO}
    assert math.isnan(rebuilt.get(plan[2]).last) and rebuilt.get(plan[2]).diverged  # type: ignore[arg-type]
    assert rebuilt.get(plan[3]).last is None and not rebuilt.get(plan[3]).diverged  # missing, not NaN
    assert rebuilt.get(plan[6]).last is None and rebuilt.get(plan[6]).status is None  # still running
    assert (rebuilt.get(plan[0]).rung, rebuilt.get(plan[1]).rung) == (9, 3)


def test_an_edited_history_csv_would_not_rebuild_the_same_ledger(sweep_run) -> None:
    """The comparison above can fail: a reading lost from the file shows."""
    directory, recorder, _, trials, _ = sweep_run
    history = read_table(directory.history_csv)
    history.loc[history[S.PLAN_ID] == trials[2].config[S.PLAN_ID], S.DIVERGED_KEY] = None
    directory.history_csv.unlink()
    CsvAppender(directory.history_csv, S.HISTORY_KEYS, fsync=False).append(history.to_dict("records"))
    rebuilt = Ledger.read(directory, METRIC, "max")
    assert rebuilt != recorder.ledger() and rebuilt.get(trials[2].config[S.PLAN_ID]).last is None


def test_the_recorder_the_searcher_and_tracking_agree_on_each_trials_best_and_status(sweep_run) -> None:
    directory, recorder, planner, trials, tracked = sweep_run
    rows = read_table(directory.trials_csv).set_index(S.PLAN_ID)
    context = TrackingContext(str(directory.root), "x", METRIC, "max", max_t=9, prunes=True)
    for index, (_, end, status) in SCENARIO.items():
        trial = trials[index]
        plan = trial.config[S.PLAN_ID]
        assert planner.searcher.outcomes[plan].best == recorder.ledger().get(plan).best, plan
        if end is None:
            continue
        assert rows.loc[plan, S.STATUS] == status
        assert trial_status(tracked.get(plan), trial, context, failed=False) == status, plan


def test_a_trial_the_time_budget_ended_short_is_stopped(tmp_path) -> None:
    directory = SweepDir.create(tmp_path, "budget")
    directory.state.create(SweepState(budget_spent=True))  # what the Tuner's stopper notes when the budget runs out
    recorder = SweepRecorder(SweepInfo(str(directory.root), {1: None}, 1, METRIC, "max", 9, (1, 3, 9), 0.0, True))
    trial = SimpleNamespace(config={S.PLAN_ID: "r1-000"}, trial_id="t0", status="RUNNING", last_result={}, path=None)
    recorder.on_trial_result(0, [trial], trial, report([0.5, 0.6, 0.7, 0.8]))
    recorder.on_experiment_end([trial])
    assert (recorder.ledger().get("r1-000").status, recorder.ledger().get("r1-000").rung) == (S.STOPPED, 3)


def test_a_user_trainables_numpy_metric_is_recorded_and_its_nan_diverges(tmp_path) -> None:
    """A plain `tune.report` of numpy numbers (np.float32 from a numpy-computed accuracy): the recorder dropped
    them, so every such trial 'ended without reporting a number', and an np.float32 NaN was no divergence."""
    import numpy as np

    directory = SweepDir.create(tmp_path, "numpy")
    directory.state.create(SweepState())
    recorder = SweepRecorder(SweepInfo(str(directory.root), {1: None}, 2, METRIC, "max", 9, (1, 3, 9), 0.0, True))
    for index, value in enumerate([np.float32(0.75), np.array(np.float32("nan"))]):
        trial = SimpleNamespace(config={S.PLAN_ID: f"r1-00{index}"}, trial_id=f"t{index}", status="RUNNING",
                                last_result={}, path=None)  # fmt: skip
        recorder.on_trial_result(0, [trial], trial, {METRIC: value, S.EPOCH: np.int64(1), "training_iteration": 1})
    assert recorder.ledger().get("r1-000").best == 0.75
    assert recorder.ledger().get("r1-001").diverged
    history = read_table(directory.history_csv, key=[])
    assert history[METRIC].iloc[0] == 0.75 and history[S.EPOCH].tolist() == [1, 1]
