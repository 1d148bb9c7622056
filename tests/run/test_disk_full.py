"""A full disk: one line and `interrupted`, no traceback, no logging errors; `sweep resume` after freeing space
trains every planned trial exactly once (end to end on a small tmpfs), and the pieces without Ray."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sweep
from sweep.cli.render import disk_full_line
from sweep.events import DiskFullRequeued
from sweep.run.disk_full import MARK, end_on_full_disk, is_disk_full, requeue_after_full_disk
from sweep.run.ray_log import RoomyFileHandler
from sweep.store import schema as S
from tests.conftest import SWEEP_BIN, run_cli, tiny_spec, wait_for
from tests.store.test_sweep_unit_dir import make_sweep

FULL = "OSError: [Errno 28] Error writing bytes to file. Detail: [errno 28] No space left on device"


def test_disk_full_is_read_from_exceptions_and_from_error_rows():
    wrapped = RuntimeError("Tune failed")
    wrapped.__cause__ = OSError(errno.ENOSPC, "No space left on device")
    assert is_disk_full(wrapped) and is_disk_full(FULL) and is_disk_full(OSError(errno.EDQUOT, "quota"))
    assert (
        not is_disk_full(ValueError("lr: bad")) and not is_disk_full("ZeroDivisionError: x") and not is_disk_full(None)
    )


def test_after_a_full_disk_the_dead_trials_train_again_in_a_fresh_tuner(tmp_path):
    directory = make_sweep(tmp_path)
    directory.state.update(lambda s: setattr(s, "experiment", "sweep"))
    error = end_on_full_disk(directory)
    assert "is full (no space left on device): the sweep is interrupted" in str(error) and error.exit_code == 1
    assert directory.state.read().status == "interrupted" and directory.state.read().extra[MARK] is True
    pd.DataFrame({
        S.PLAN_ID: ["r1-000", "r1-001"], S.ROUND: [1, 1], S.STATUS: ["completed", "error"], S.EPOCHS: [3, 1],
        S.ERROR: [None, FULL],
    }).to_csv(directory.trials_csv, index=False)  # fmt: skip
    pd.DataFrame({S.PLAN_ID: ["r1-000", "r1-001"], S.EPOCH: [1, 1], S.WALL: [1.0, 2.0]}).to_csv(
        directory.history_csv, index=False
    )

    told: list = []
    assert requeue_after_full_disk(directory, told.append)
    assert list(pd.read_csv(directory.trials_csv)[S.PLAN_ID]) == ["r1-000"]
    assert list(pd.read_csv(directory.history_csv)[S.PLAN_ID]) == ["r1-000"]
    state = directory.state.read()
    assert MARK not in state.extra and state.experiment.startswith("sweep-fresh-")
    assert [disk_full_line(e) for e in told if isinstance(e, DiskFullRequeued)] == [
        "the sweep ended on a full disk: the rest of the plan runs afresh from the tables; "
        "1 trial that died of it trains again"
    ]
    assert not requeue_after_full_disk(directory, told.append), "only once"
    assert len(told) == 1


def test_the_ray_log_moves_off_a_full_disk_without_a_traceback(tmp_path, capfd):
    handler = RoomyFileHandler(Path("/dev/full"))  # every write to it fails with ENOSPC
    logger = logging.getLogger("sweep-test-roomy")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("first")
        logger.warning("second")
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert "Logging error" not in capfd.readouterr().err
    moved = Path(handler.baseFilename)
    assert moved.name == f"sweep-ray-tune-{os.getpid()}.log" and "second" in moved.read_text()
    moved.unlink()


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({done.stderr.decode().strip()}): needs root")


@pytest.mark.ray
def test_a_full_disk_mid_sweep_then_resume_trains_every_planned_trial_once(tmp_path, ray_instance):
    disk = tmp_path / "disk"
    # room for the sweep's own files until the test fills the rest, even on a busy machine (16m was once full
    # of them before the first trial was recorded)
    _mount_tmpfs(disk, "64m")
    try:
        space = {**tiny_spec()["space"], "epochs": 30, "batch_size": 16, "momentum": 0.9}
        spec = tmp_path / "spec.yaml"
        spec.write_text(yaml.safe_dump(tiny_spec(samples=5, scheduler={"type": "fifo"}, space=space)))
        proc = subprocess.Popen(
            [SWEEP_BIN, "launch", str(spec), "--storage", str(disk), "--address", ray_instance.address, "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            directory = wait_for(lambda: next(disk.glob("*/trials.csv"), None), "a finished trial", proc=proc).parent
            with open(disk / "filler", "wb") as filler:  # fill the disk
                try:
                    while True:
                        filler.write(b"\0" * 65536)
                        filler.flush()
                except OSError:
                    pass
            out, err = proc.communicate(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 1, (out, err)
        assert "Traceback" not in err and "Logging error" not in err, err
        assert err.strip().splitlines()[-1] == (
            f"error: the disk holding {directory} is full (no space left on device): the sweep is interrupted and "
            f"the rows written so far are kept; free space, then continue with: sweep resume {directory}"
        )
        assert sweep.load(directory).status == "interrupted"

        (disk / "filler").unlink()
        resumed = run_cli("resume", str(directory), "--address", ray_instance.address, "-q", timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        result = sweep.load(directory)
        planned = pd.read_csv(directory / "rounds" / "round-1.plan.csv")[S.PLAN_ID]
        assert result.status == "completed"
        assert sorted(pd.read_csv(directory / "trials.csv")[S.PLAN_ID]) == sorted(planned), "each trial exactly once"
        assert (result.trials[S.STATUS] == S.COMPLETED).all()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
