"""`sweep retest` appends each run's row as the run ends: SIGKILL mid-retest keeps the runs that finished."""

from __future__ import annotations

import os
import signal
import subprocess

import pandas as pd
import pytest

from search_spaces import load_spec
from sweep import RunOptions, run_sweep
from tests.conftest import SWEEP_BIN, tiny_spec, wait_for

pytestmark = pytest.mark.ray


def _rows(path) -> int:
    return len(pd.read_csv(path)) if path.exists() and path.stat().st_size else 0


def test_sigkill_during_retest_keeps_the_finished_runs(tmp_path, ray_instance):
    space = {**tiny_spec()["space"], "epochs": 40, "batch_size": 16, "momentum": 0.9}
    options = RunOptions(storage=str(tmp_path), quiet=True, final_test=False, dashboard=False, max_concurrent=2)
    finished = run_sweep(load_spec(tiny_spec(samples=2, scheduler="fifo", space=space)), options)
    retest_csv = finished.path / "retest.csv"
    proc = subprocess.Popen(
        [SWEEP_BIN, "retest", str(finished.path), "--top", "2", "--seeds", "4", "--address", ray_instance.address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: _rows(retest_csv) >= 1, "a finished retest run", timeout=240, proc=proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    rows = pd.read_csv(retest_csv)
    assert 1 <= len(rows) < 8, "the retest finished before it could be killed"
    assert rows["seed"].notna().all() and rows["dev_accuracy"].between(0, 1).all()
    assert not (finished.path / "retest_summary.csv").exists(), "the summary comes only with the last run"
