"""Signed state end to end at a URI: a sweep stored at file:// is interrupted, then resumed; its Ray state was
signed as Ray wrote it (the signatures went up with it), so the resume passes the check and completes."""

from __future__ import annotations

import signal
import subprocess

import pandas as pd
import pytest
import yaml

import sweep
from sweep.store import schema as S
from tests.conftest import SWEEP_BIN, run_cli, tiny_spec, wait_for

pytestmark = pytest.mark.ray


def test_a_sweep_at_a_uri_resumes_with_its_signed_state(tmp_path, ray_instance, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # its mirrors, not the user's cache
    space = {**tiny_spec()["space"], "epochs": 40, "batch_size": 16, "momentum": 0.9}
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny_spec(samples=4, scheduler={"type": "fifo"}, space=space)))
    store = tmp_path / "bucket"
    proc = subprocess.Popen(
        [SWEEP_BIN, "launch", str(spec), "--storage", f"file://{store}", "--address", ray_instance.address, "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        signatures = wait_for(lambda: next(store.glob("*/ray/sweep/sweep-signatures.json"), None), "signatures",
                              proc=proc)  # fmt: skip
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    remote = signatures.parents[2]
    if sweep.load(f"file://{remote}").status == "completed":
        pytest.skip("the sweep finished before it could be interrupted")
    resumed = run_cli("resume", f"file://{remote}", "--address", ray_instance.address, "-q", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    result = sweep.load(f"file://{remote}")
    planned = pd.read_csv(remote / "rounds" / "round-1.plan.csv")[S.PLAN_ID]
    assert result.status == "completed" and sorted(result.trials[S.PLAN_ID]) == sorted(planned)
