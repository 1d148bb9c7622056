"""The live progress line: counts that add up, and a clock that starts with the round."""

from __future__ import annotations

import time

from sweep.run.progress import Progress


def test_a_finished_round_shows_nothing_running() -> None:
    # Ray marks the last trial TERMINATED only after the completion callbacks ran.
    progress = Progress(8, "round 1", "dev_accuracy", finished=8, running=1, best=0.97)
    assert progress.line().startswith("round 1: 8/8 done (0 pruned, 0 failed), 0 running | best dev_accuracy 0.9700")
    progress.finished, progress.running = 5, 3
    assert "5/8 done (0 pruned, 0 failed), 3 running" in progress.line()


def test_elapsed_counts_from_the_round_start_not_from_the_first_result() -> None:
    # With batched reports the line is first built when the first result arrives, long after the round began.
    started_20s_ago = time.time() - 20
    progress = Progress(8, "round 1", "dev_accuracy", since=started_20s_ago, finished=8)
    seconds = int(progress.line().rsplit("| ", 1)[1].removesuffix("s"))
    assert 20 <= seconds < 60
