"""`summarise` (`sweep retest`'s per-config table), which only real sweeps exercised, driven with hand-made rows;
no Ray running. (A trial's record, the recorder's trials.csv row, is tested in test_ledger.py.)"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from sweep.store import schema as S
from sweep.winners.retest_result import RetestResult, spearman, summarise


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
