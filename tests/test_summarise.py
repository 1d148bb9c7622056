"""The two summaries that only real sweeps exercised: a trial's `TrialSummary` (the recorder's trials.csv row) and
`summarise` (`sweep retest`'s per-config table), driven with hand-made rows; no Ray running."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from sweep.run.recorder import TrialSummary, flag_divergence
from sweep.store import schema as S
from sweep.store.csv_appender import CsvAppender
from sweep.store.tables import read_table
from sweep.winners.retest_result import RetestResult, spearman, summarise


# --- TrialSummary ----------------------------------------------------------------------------------------------
def _history(plan: str, metrics: list[float | None], metric: str = "dev_accuracy") -> list[dict]:
    """History rows as the recorder writes them: one per epoch; None leaves the metric out of that epoch."""
    rows = []
    for epoch, value in enumerate(metrics, start=1):
        row: dict = {S.PLAN_ID: plan, S.EPOCH: epoch, S.WALL: float(epoch), "train_loss": 1.0 / epoch}
        if value is not None:
            row[metric] = value
        rows.append(flag_divergence(row, metric))
    return rows


def _summary(rows: list[dict], mode: str, metric: str = "dev_accuracy") -> TrialSummary:
    summary = TrialSummary()
    for row in rows:
        summary.add(row, metric, mode)
    return summary


@pytest.mark.parametrize("mode", ["max", "min"])
def test_a_summary_holds_the_epochs_the_last_row_and_the_best_for_the_mode(mode: str) -> None:
    values = [0.31, 0.52, 0.47, 0.18]
    rows = _history("r1-000", values)
    summary = _summary(rows, mode)
    assert summary.epochs == len(values) and summary.last_row == rows[-1]
    assert summary.best == (max(values) if mode == "max" else min(values))
    assert not summary.nonfinite


def test_rows_out_of_order_keep_the_latest_epoch_as_the_last_row() -> None:
    rows = _history("r1-000", [0.2, 0.4, 0.3])
    summary = _summary([rows[2], rows[0], rows[1]], "max")
    assert summary.epochs == 3 and summary.last_row == rows[2] and summary.best == 0.4
    again = {**rows[2], "train_loss": 0.01}  # the same epoch reported again (a resumed trial): the newer row wins
    summary.add(again, "dev_accuracy", "max")
    assert summary.epochs == 3 and summary.last_row is again


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_metric_marks_the_trial_and_never_becomes_its_best(bad: float) -> None:
    summary = _summary(_history("r1-000", [0.3, 0.6, bad]), "max")
    assert summary.nonfinite and summary.epochs == 3
    assert summary.best == (math.inf if bad == math.inf else 0.6)  # +inf is a number that beats 0.6; NaN never wins


def test_an_integer_metric_counts_and_a_missing_one_is_not_a_divergence() -> None:
    summary = _summary(_history("r1-000", [3, None, 5], metric="score"), "max", metric="score")
    assert summary.best == 5.0 and isinstance(summary.best, float) and not summary.nonfinite


def test_the_summary_rebuilt_from_history_csv_is_the_live_one(tmp_path) -> None:
    """After a restart the recorder rebuilds each summary from history.csv: it must be what the live rows gave."""
    plans = {"r1-000": [0.25, 0.5, 0.75], "r1-001": [0.6, 0.4], "r2-000": [0.1, math.nan, 0.2, 0.3]}
    live = {plan: _summary(_history(plan, values), "max") for plan, values in plans.items()}
    path = tmp_path / "history.csv"
    appender = CsvAppender(path, S.HISTORY_KEYS, fsync=False)
    for plan, values in plans.items():
        appender.append(_history(plan, values))
    rebuilt: dict[str, TrialSummary] = {}
    for row in read_table(path, key=[S.PLAN_ID, S.EPOCH]).sort_values(S.EPOCH, kind="stable").to_dict("records"):
        rebuilt.setdefault(str(row[S.PLAN_ID]), TrialSummary()).add(row, "dev_accuracy", "max")
    for plan, summary in live.items():
        again = rebuilt[plan]
        assert (again.epochs, again.best, again.nonfinite) == (summary.epochs, summary.best, summary.nonfinite), plan
        assert again.last_row["train_loss"] == pytest.approx(summary.last_row["train_loss"])


def test_an_epoch_without_the_metric_is_not_a_divergence_after_a_restart(tmp_path) -> None:
    rows = _history("r1-000", [0.3, None, 0.5])  # a trainable that evaluates every other epoch
    path = tmp_path / "history.csv"
    CsvAppender(path, S.HISTORY_KEYS, fsync=False).append(rows)
    rebuilt = _summary(read_table(path).to_dict("records"), "max")
    assert not _summary(rows, "max").nonfinite
    assert not rebuilt.nonfinite


# --- summarise (sweep retest) -------------------------------------------------------------------------------
def _retest_rows(results: dict[str, list[object]], tests: dict[str, list[object]] | None = None) -> pd.DataFrame:
    """One row per (config, seed) as retest writes them; configs ranked 1, 2, … in the order given."""
    rows = []
    for rank, (plan, values) in enumerate(results.items(), start=1):
        for seed, value in enumerate(values):
            test = (tests or {}).get(plan, [None] * len(values))[seed]
            rows.append({
                "retest_id": "rt-1", S.PLAN_ID: plan, "seed": 1000 + seed, "dev_accuracy": value,
                "test_accuracy": test, "original_rank": rank, "original_metric": 0.9 - rank / 10, "data": "digits",
            })  # fmt: skip
    return pd.DataFrame(rows)


def test_summarise_means_stds_and_counts_per_config() -> None:
    results = {"r2-003": [0.80, 0.84, 0.82], "r1-007": [0.86, 0.88, 0.87], "r1-001": [0.70, 0.74, 0.72]}
    tests = {"r2-003": [0.79, 0.81, 0.80], "r1-007": [0.85, 0.85, 0.86], "r1-001": [0.7, 0.7, 0.7]}
    summary = summarise(_retest_rows(results, tests), "dev_accuracy", "max")
    assert summary[S.PLAN_ID].tolist() == list(results)  # in the sweep's original order
    for _, row in summary.iterrows():
        values, test = results[row[S.PLAN_ID]], tests[row[S.PLAN_ID]]
        assert row["mean"] == pytest.approx(statistics.mean(values))
        assert row["std"] == pytest.approx(statistics.stdev(values))  # the sample std (n - 1), as pandas gives
        assert row["n"] == len(values) and row["metric"] == "dev_accuracy"
        assert row["test_accuracy_mean"] == pytest.approx(statistics.mean(test))
        assert row["test_accuracy_std"] == pytest.approx(statistics.stdev(test))
        assert (row["retest_id"], row["data"]) == ("rt-1", "digits")
    means = {plan: statistics.mean(v) for plan, v in results.items()}
    by_mean = sorted(means, key=means.__getitem__, reverse=True)
    assert summary["new_rank"].tolist() == [by_mean.index(plan) + 1 for plan in results]  # [2, 1, 3]
    assert summary["original_rank"].tolist() == [1, 2, 3]


def test_summarise_ranks_the_lowest_mean_first_for_mode_min() -> None:
    results = {"r1-000": [0.30, 0.34], "r1-001": [0.20, 0.22], "r1-002": [0.50, 0.40]}
    summary = summarise(_retest_rows(results), "dev_accuracy", "min")
    means = [np.mean(v) for v in results.values()]
    assert summary["new_rank"].tolist() == [sorted(means).index(m) + 1 for m in means]  # [2, 1, 3]


def test_failed_runs_are_left_out_and_a_config_with_none_ranks_last() -> None:
    results: dict[str, list[object]] = {
        "r1-000": [0.6, None, 0.8],  # one seed failed: its mean is over the two that finished
        "r1-001": [None, "error"],  # every seed failed (a message where a number should be): no mean
        "r1-002": [0.5, 0.55],
    }
    summary = summarise(_retest_rows(results), "dev_accuracy", "max").set_index(S.PLAN_ID)
    assert summary.loc["r1-000", "n"] == 2 and summary.loc["r1-000", "mean"] == pytest.approx(0.7)
    assert summary.loc["r1-001", "n"] == 0 and math.isnan(summary.loc["r1-001", "mean"])
    assert summary["new_rank"].to_dict() == {"r1-000": 1, "r1-002": 2, "r1-001": 3}
    assert summary.loc["r1-002", "std"] == pytest.approx(statistics.stdev([0.5, 0.55]))


def test_tied_means_share_the_better_rank() -> None:
    summary = summarise(_retest_rows({"a": [0.5, 0.7], "b": [0.6, 0.6], "c": [0.9, 0.9]}), "dev_accuracy", "max")
    assert summary.set_index(S.PLAN_ID)["new_rank"].to_dict() == {"c": 1, "a": 2, "b": 2}


def test_the_progress_line_names_the_newest_round_while_stragglers_report(tmp_path) -> None:
    from types import SimpleNamespace

    from sweep.run.recorder import SweepInfo, SweepRecorder
    from sweep.store.layout import SweepDir

    root = SweepDir.create(tmp_path, "progress").root
    info = SweepInfo(str(root), {1: None, 2: None}, 8, "dev_accuracy", "max", 9, (), 0.0)
    recorder = SweepRecorder(info)
    labels = []
    for plan, epoch in [("r1-000", 1), ("r2-000", 1), ("r1-000", 2)]:
        trial = SimpleNamespace(config={"plan_id": plan}, trial_id=plan, status="RUNNING")
        recorder.on_trial_result(0, [trial], trial, {"epoch": epoch, "dev_accuracy": 0.5})
        labels.append(recorder.progress.label)
    assert labels == ["round 1", "round 2", "round 2"]


def test_no_rank_correlation_is_printed_below_five_configs() -> None:
    four = summarise(
        _retest_rows({p: [0.9 - i / 10, 0.9 - i / 10] for i, p in enumerate("abcd")}), "dev_accuracy", "max"
    )
    assert math.isnan(spearman(four))  # 2-4 configs: ±1 or near it by chance
    text = RetestResult("rt-1", pd.DataFrame(), four, spearman(four), True, "dev_accuracy", "max").text()
    assert "Spearman" not in text
    assert "ranking holds: the top-1 config stays top-1 (no rank correlation: it needs 5 configs, --top)" in text
    five = summarise(_retest_rows({"a": [0.5], "b": [0.9], "c": [0.7], "d": [0.6], "e": [0.8]}), "dev_accuracy", "max")
    from scipy.stats import spearmanr

    assert spearman(five) == pytest.approx(spearmanr(five["original_rank"], five["new_rank"]).statistic)
    text = RetestResult("rt-1", pd.DataFrame(), five, spearman(five), False, "dev_accuracy", "max").text()
    assert f"Spearman rank correlation, original vs retest mean: {spearman(five):+.2f}; ranking changed" in text


def test_a_retest_compares_the_original_trials_last_epoch_not_its_best() -> None:
    from sweep.winners.retest import _last_reading

    assert _last_reading(pd.Series({S.BEST: 0.4374, S.LAST: 0.4512})) == 0.4512
    assert _last_reading(pd.Series({S.BEST: 0.4374})) == 0.4374  # a table from before last_metric
