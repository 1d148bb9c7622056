"""Resume always ends: an interrupted sweep whose rounds/ folder was deleted re-derives round 1's plan (the
spec's seed decides it) and completes every planned trial once, within the bound this test states."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sweep
from sweep.store import schema as S
from tests.conftest import SWEEP_BIN, run_cli, tiny_spec, wait_for

pytestmark = pytest.mark.ray

BOUND_S = 240  # the resume must end (pass or refuse) within this


def _rows(path: Path) -> int:
    return len(pd.read_csv(path)) if path.exists() and path.stat().st_size else 0


def test_resume_with_the_plan_files_deleted_ends_and_trains_each_planned_trial_once(tmp_path, ray_instance):
    space = {**tiny_spec()["space"], "epochs": 40, "batch_size": 16, "momentum": 0.9}
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny_spec(samples=5, scheduler={"type": "fifo"}, space=space)))
    storage = tmp_path / "sweeps"
    proc = subprocess.Popen(
        [SWEEP_BIN, "launch", str(spec), "--storage", str(storage), "--address", ray_instance.address, "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        directory = wait_for(lambda: next(storage.glob("*/sweep.json"), None), "the sweep", proc=proc).parent
        wait_for(lambda: _rows(directory / "trials.csv") >= 1, "a finished trial", proc=proc)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _rows(directory / "trials.csv") < 5, "the sweep finished before it could be interrupted"
    planned = pd.read_csv(directory / "rounds" / "round-1.plan.csv")
    shutil.rmtree(directory / "rounds")

    started = time.monotonic()
    resumed = run_cli("resume", str(directory), "--address", ray_instance.address, timeout=BOUND_S)
    assert time.monotonic() - started < BOUND_S
    assert resumed.returncode == 0, resumed.stderr
    assert "round-1.plan.csv was gone: planned round 1 again from the spec (seed 3)" in resumed.stdout
    pd.testing.assert_frame_equal(pd.read_csv(directory / "rounds" / "round-1.plan.csv"), planned)
    result = sweep.load(directory)
    assert result.status == "completed" and sorted(result.trials[S.PLAN_ID]) == sorted(planned[S.PLAN_ID])
