"""A sweep directory is one unit, owned by one driver: the driver lock, refine of an unfinished sweep, a plan id
reused with other values, `sweep down` while a sweep uses the kept Ray. No Ray starts here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import yaml

from sweep.store.layout import SweepDir
from sweep.store.lock import LOCK_FILE, SweepLocked, hold_driver_lock, holder
from sweep.store.state import SweepState
from sweep.store.tables import TableWarning, read_table
from sweep_errors import SweepError
from tests.conftest import invoke_cli, run_cli, tiny_spec


def make_sweep(tmp_path: Path, status: str = "interrupted", done: bool = False) -> SweepDir:
    directory = SweepDir.create(tmp_path / "sweeps", "tiny")
    directory.write_yaml(directory.spec_yaml, tiny_spec())
    state = SweepState(name="tiny", status=status, rounds=[{"number": 1, "stage": None, "samples": 6}])
    if done:
        state.round_status = {"1": "done"}
    if status == "running":  # a driver that was SIGKILLed
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        state.driver = {"pid": gone.pid, "host": os.uname().nodename}
    directory.state.create(state)
    return directory


def _holding(root: Path) -> subprocess.Popen:
    """A second process that takes the sweep's lock and keeps it until killed."""
    code = (
        "import sys, time\nfrom pathlib import Path\nfrom sweep.store.lock import hold_driver_lock\n"
        "with hold_driver_lock(Path(sys.argv[1]), 'resume'):\n    print('held', flush=True)\n    time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_driver_is_refused_in_one_line_naming_the_first(tmp_path):
    directory = make_sweep(tmp_path)
    first = _holding(directory.root)
    try:
        for command in ("resume", "refine"):
            proc = run_cli(command, str(directory.root), "--quiet", timeout=60)
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            assert proc.returncode == 2 and len(lines) == 1, proc.stderr
            assert f"pid {first.pid}" in lines[0] and "being driven by another process" in lines[0]
            assert "`sweep resume`" in lines[0]
        assert "sweep:" not in proc.stdout, "the second driver must stop before Ray starts"
    finally:
        first.kill()
        first.wait()
    assert SweepDir.open(directory.root).state.read().status == "interrupted"


def test_a_lock_left_by_a_dead_driver_is_taken_over(tmp_path):
    directory = make_sweep(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (directory.root / LOCK_FILE).write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename}))
    with hold_driver_lock(directory.root, "resume", "running"):
        assert holder(directory.root)["pid"] == os.getpid()
    assert holder(directory.root)["released"] is True


def test_a_live_lock_from_another_host_is_refused_while_the_sweep_runs(tmp_path):
    directory = make_sweep(tmp_path)
    (directory.root / LOCK_FILE).write_text(json.dumps({"pid": 4242, "host": "elsewhere", "command": "launch"}))
    with pytest.raises(SweepLocked, match=r"pid 4242 on elsewhere.*if it is gone, delete .*driver\.lock"):
        with hold_driver_lock(directory.root, "resume", "running"):
            pass
    with hold_driver_lock(directory.root, "resume", "interrupted"):  # not running: that driver is over
        pass


@pytest.mark.parametrize("status", ["interrupted", "running", "failed"])
def test_refine_of_an_unfinished_sweep_is_refused_naming_resume(tmp_path, status):
    directory = make_sweep(tmp_path, status=status)
    before = directory.state.path.read_bytes()
    started = time.monotonic()
    proc = invoke_cli("refine", str(directory.root), "--quiet", timeout=60)
    assert time.monotonic() - started < 60
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    shown = "interrupted" if status == "running" else status  # a dead driver's `running` sweep is interrupted
    assert f"is {shown} (round 1 not finished)" in lines[0]
    assert f"sweep resume {directory.root}" in lines[0]
    assert directory.state.path.read_bytes() == before, "a refused refine adds no round"


def test_a_plan_id_reused_with_other_values_warns_and_keeps_the_first_row(tmp_path):
    path = tmp_path / "trials.csv"
    path.write_text(
        "plan_id,trial_id,round,stage,status,epochs_trained,best_metric,lr\n"
        "r1-000,a,1,,completed,3,0.5,0.1\n"
        "r1-001,b,1,,completed,3,0.6,0.2\n"
        "r1-000,c,1,,completed,3,0.99,0.5\n"  # another lr: not the trial r1-000 was
        "r1-001,d,1,,completed,4,0.7,0.2\n"  # the same config re-reported by a resumed trial: the last row wins
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_table(path, key=["plan_id"]).set_index("plan_id")
    messages = [str(w.message) for w in caught if issubclass(w.category, TableWarning)]
    assert messages == [f"{path}: rows reuse a plan_id with other values (plan_id r1-000 on lines 2, 4); "
                        "kept the first row of each"]  # fmt: skip
    assert frame.loc["r1-000", "best_metric"] == 0.5 and frame.loc["r1-000", "trial_id"] == "a"
    assert frame.loc["r1-001", "trial_id"] == "d"


def test_sweep_down_refuses_while_a_sweep_uses_the_kept_ray(tmp_path, monkeypatch):
    from sweep.cluster import warm

    monkeypatch.setattr(warm, "USERS", tmp_path / "users")
    monkeypatch.setattr(warm, "RECORD", tmp_path / "local-ray.json")
    monkeypatch.setattr(warm, "TEMP_DIR", tmp_path / "no-such-ray")
    kept = warm.WarmRay("127.0.0.1:6390", None, str(tmp_path / "no-such-ray"), None)
    monkeypatch.setattr(warm, "find", lambda: kept)
    driver = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "users").mkdir()
        (tmp_path / "users" / f"{driver.pid}.json").write_text(
            json.dumps({"pid": driver.pid, "command": "sweep resume x"})
        )
        with pytest.raises(SweepError, match=rf"in use by a sweep \(pid {driver.pid}: `sweep resume x`\).*--force"):
            warm.down()
        assert warm.down(force=True) is True
    finally:
        driver.kill()
        driver.wait()
    assert warm.users() == [] and not list((tmp_path / "users").iterdir()), "a dead driver's record is dropped"


def test_register_user_records_this_process(tmp_path, monkeypatch):
    from sweep.cluster import warm

    monkeypatch.setattr(warm, "USERS", tmp_path / "users")
    path = warm.register_user("sweep launch spec.yaml")
    assert path is not None and [u["pid"] for u in warm.users()] == [os.getpid()]
    assert yaml.safe_load(path.read_text())["command"] == "sweep launch spec.yaml"
