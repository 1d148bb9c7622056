"""The live progress line: counts that add up, and a clock that starts with the round."""

from __future__ import annotations

import time
from dataclasses import replace

from sweep.events import ProgressUpdated


def test_a_finished_round_shows_nothing_running() -> None:
    # Ray marks the last trial TERMINATED only after the completion callbacks ran.
    progress = ProgressUpdated("round 1", 8, "dev_accuracy", time.time(), finished=8, running=1, best=0.97)
    assert progress.line().startswith("round 1: 8/8 done (0 pruned, 0 failed), 0 running | best dev_accuracy 0.9700")
    progress = replace(progress, finished=5, running=3)
    assert "5/8 done (0 pruned, 0 failed), 3 running" in progress.line()


def test_elapsed_counts_from_the_round_start_not_from_the_first_result() -> None:
    # With batched reports the line is first built when the first result arrives, long after the round began.
    started_20s_ago = time.time() - 20
    progress = ProgressUpdated("round 1", 8, "dev_accuracy", since=started_20s_ago, finished=8)
    seconds = int(progress.line().rsplit("| ", 1)[1].removesuffix("s"))
    assert 20 <= seconds < 60


def test_under_a_time_budget_the_line_counts_down_to_it_when_it_comes_first() -> None:
    now = time.time()
    # 2 of 100 trials in 20 s: the pace says ~16 min, the budget ends the sweep in 40 s
    budgeted = ProgressUpdated("round 1", 100, "dev_accuracy", since=now - 20, finished=2, deadline=now + 40)
    assert budgeted.line().endswith(" left of the time budget")
    assert 35 <= int(budgeted.line().rsplit(", ", 1)[1].split("s ")[0]) <= 40
    nothing_done = ProgressUpdated("round 1", 100, "dev_accuracy", since=now - 5, deadline=now + 40)
    assert nothing_done.line().endswith(" left of the time budget")
    # 90 of 100 in 20 s: the trials end first, so the pace-based guess stays; a passed deadline is ignored
    fast = ProgressUpdated("round 1", 100, "dev_accuracy", since=now - 20, finished=90, deadline=now + 40)
    passed = ProgressUpdated("round 1", 100, "dev_accuracy", since=now - 20, finished=2, deadline=now - 1)
    assert fast.line().endswith("s left") and "budget" not in fast.line()
    assert passed.line().endswith(" left") and "budget" not in passed.line()
