"""The driver's watchdog and the end-of-sweep check: a sweep with nothing live and nothing offered ends within
the stated bound, and a round whose plan file is gone is judged by its rows. No Ray starts here."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from sweep.run.driver_loop import _round_recorded
from sweep.run.rounds import RoundSlot
from sweep.run.watchdog import STALL_SECONDS, Stall, Watchdog
from tests.conftest import run_cli
from tests.store.test_sweep_unit_dir import make_sweep


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _trials(*statuses: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(status=status) for status in statuses]


def test_nothing_live_for_the_bound_stops_the_experiment():
    clock = Clock()
    dog = Watchdog(bound=30.0)
    dog.stall = Stall(30.0, clock)
    dog.on_step_end(1, _trials("RUNNING", "TERMINATED"))
    clock.now = 100.0  # a long trial: running, so no stall however long it takes
    dog.on_step_end(2, _trials("RUNNING", "TERMINATED"))
    assert not dog.stop_all()
    dog.on_step_end(3, _trials("TERMINATED", "TERMINATED"))  # nothing live from here
    clock.now = 129.9
    dog.on_step_end(4, _trials("TERMINATED", "TERMINATED"))
    assert not dog.stop_all()
    clock.now = 130.0
    dog.on_step_end(5, _trials("TERMINATED", "ERROR"))
    assert dog.stop_all() and not dog("trial", {})
    line = dog.diagnosis("/s", "round 2 not finished")
    assert line.startswith("the sweep stalled: no trial ran and none was offered for 30 s (1 error, 1 terminated;")
    assert line.endswith("sweep resume /s --fresh") and "\n" not in line


def test_a_pending_or_paused_trial_resets_the_clock():
    clock = Clock()
    stall = Stall(10.0, clock)
    assert not stall.observe(0)
    clock.now = 9.0
    assert not stall.observe(1)  # a trial was offered (pending)
    clock.now = 18.0
    assert not stall.observe(0)  # idle again from 18 s
    clock.now = 27.9
    assert not stall.observe(0)
    clock.now = 28.0
    assert stall.observe(0)
    assert STALL_SECONDS == 60.0  # the documented bound (docs/reliability-directory.md)


def test_a_round_without_its_plan_file_counts_its_rows(tmp_path):
    directory = make_sweep(tmp_path)
    slot = RoundSlot(1, None, zoom=False, samples=3)
    rows = pd.DataFrame({"plan_id": ["r1-000", "r1-001"], "round": [1, 1], "status": ["completed", "completed"],
                         "epochs_trained": [1, 1]})  # fmt: skip
    rows.to_csv(directory.trials_csv, index=False)
    assert not directory.round_plan(1).exists()
    assert not _round_recorded(directory, slot, set())
    assert _round_recorded(directory, slot, {"r1-002"})  # the third was left unstarted by the sweep's end
    plan = pd.DataFrame({"plan_id": ["r1-000", "r1-001", "r1-002"], "x": [1, 2, 3]})
    plan.to_csv(directory.round_plan(1), index=False)
    assert not _round_recorded(directory, slot, set())


def test_a_started_later_round_whose_plan_is_gone_is_refused_in_one_line(tmp_path):
    directory = make_sweep(tmp_path)
    rounds = [{"number": 1, "stage": None, "zoom": False, "samples": 2}, {"number": 2, "stage": None, "zoom": True,
                                                                          "samples": 2}]  # fmt: skip
    directory.state.update(
        lambda s: (setattr(s, "rounds", rounds), s.round_status.update({"1": "done", "2": "running"}))
    )
    rows = pd.DataFrame({"plan_id": ["r1-000", "r1-001", "r2-000"], "round": [1, 1, 2], "status": ["completed"] * 3,
                         "epochs_trained": [1, 1, 1], "best_metric": [0.5, 0.6, 0.7]})  # fmt: skip
    rows.to_csv(directory.trials_csv, index=False)
    proc = run_cli("resume", str(directory.root), "--quiet", timeout=120)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert f"{directory.round_plan(2)} is gone and round 2 has started" in lines[0] and "put the file back" in lines[0]
    assert "sweep:" not in proc.stdout, "refused before Ray starts"
