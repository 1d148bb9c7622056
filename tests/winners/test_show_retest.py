"""`sweep show` on a retested sweep shows the latest retest: its winner on the mean may not be the sweep's."""

from __future__ import annotations

import pandas as pd

from sweep.store.results import load
from sweep.winners.retest import SUMMARY_KEYS
from tests.conftest import invoke_cli
from tests.fuzz.damaged_dirs import make_sweep


def test_show_names_the_latest_retests_winner_and_where_the_sweeps_winner_landed(tmp_path):
    root = make_sweep(tmp_path)
    winner = str(load(root).best()["plan_id"])
    other = next(p for p in load(root).ranked()["plan_id"] if p != winner)
    rows = [
        {"retest_id": "old", "plan_id": winner, "metric": "dev_accuracy", "mean": 0.9, "std": 0.0, "n": 2,
         "original_rank": 1, "new_rank": 1},
        {"retest_id": "new", "plan_id": winner, "metric": "dev_accuracy", "mean": 0.7, "std": 0.01, "n": 3,
         "original_rank": 1, "new_rank": 2},
        {"retest_id": "new", "plan_id": other, "metric": "dev_accuracy", "mean": 0.8, "std": 0.02, "n": 3,
         "original_rank": 2, "new_rank": 1},
    ]  # fmt: skip
    pd.DataFrame(rows, columns=SUMMARY_KEYS).to_csv(root / "retest_summary.csv", index=False)
    done = invoke_cli("show", str(root), check=True)
    assert (
        f"retest new (the latest): {other} wins on mean dev_accuracy 0.8000 ± 0.0200 over 3 seeds; "
        f"the sweep's winner {winner} ranks 2"
    ) in done.stdout


def test_show_without_a_retest_says_nothing_of_one(tmp_path):
    assert "retest" not in invoke_cli("show", str(make_sweep(tmp_path)), check=True).stdout
