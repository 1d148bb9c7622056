"""sweep.json through its one writer: typed, atomic, no lost update, keys of other versions kept."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from sweep.store.state import STATE_FILE, StateFile, SweepState


def test_round_trip_keeps_every_field_and_unknown_keys(tmp_path: Path) -> None:
    written = {"name": "n", "status": "running", "metric": "loss", "mode": "min", "params": ["lr"],
               "started_at": 12.5, "rounds": [{"number": 1}], "round_status": {"1": "done"},
               "experiment": "sweep", "not_started": ["r1-002"], "from_a_newer_version": {"x": 1}}  # fmt: skip
    (tmp_path / STATE_FILE).write_text(json.dumps(written))
    state = StateFile(tmp_path).read()
    assert (state.metric, state.mode, state.started_at, state.is_done(1)) == ("loss", "min", 12.5, True)
    StateFile(tmp_path).update(lambda s: s.leave_unstarted(["r1-001"]))
    on_disk = json.loads((tmp_path / STATE_FILE).read_text())
    assert on_disk["from_a_newer_version"] == {"x": 1}
    assert on_disk["not_started"] == ["r1-001", "r1-002"]
    assert {k: v for k, v in on_disk.items() if k != "not_started"} == {
        **{k: v for k, v in written.items() if k != "not_started"}, "project_dir": None, "remote": None,
        "options": {},
    }  # fmt: skip


def test_optional_keys_appear_once_set(tmp_path: Path) -> None:
    states = StateFile(tmp_path)
    states.create(SweepState(name="n"))
    assert not {"summary", "budget_spent", "driver", "experiment"} & set(json.loads(states.path.read_text()))
    states.update(lambda s: setattr(s, "budget_spent", True))
    assert json.loads(states.path.read_text())["budget_spent"] is True


def test_concurrent_updates_from_threads_are_all_kept(tmp_path: Path) -> None:
    states = StateFile(tmp_path)
    states.create(SweepState(rounds=[{"number": n} for n in range(40)]))
    threads = [threading.Thread(target=states.update, args=(lambda s, n=n: s.start_round(n),)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state = states.read()
    assert state.round_status == {str(n): "running" for n in range(40)} and state.status == "running"


def test_a_failed_change_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    states = StateFile(tmp_path)
    states.create(SweepState(name="kept"))
    before = states.path.read_text()

    def broken(state: SweepState) -> None:
        state.name = "lost"
        raise RuntimeError("boom")

    try:
        states.update(broken)
    except RuntimeError:
        pass
    assert states.path.read_text() == before and not states.path.with_name(STATE_FILE + ".tmp").exists()
