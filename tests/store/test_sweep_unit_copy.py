"""A copied sweep resumes in place: `cp -a` of an interrupted sweep, then two resumes of the copy at once (the
second refused in one line); the original's files stay byte-for-byte as they were and the copy completes. The
original, then moved and its rounds/ deleted, resumes where it now is and ends within a stated bound, its
round-1 plan derived again, the same."""

from __future__ import annotations

import hashlib
import os
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
from sweep.store.lock import holder
from sweep.store.ray_state import unpickled_files
from sweep.store.signing import load_key, unsigned
from tests.conftest import SWEEP_BIN, run_cli, tiny_spec, wait_for

pytestmark = pytest.mark.ray

BOUND_S = 240  # a resume must end (pass or refuse) within this


def _tree(root: Path) -> dict[str, str]:
    """Every file under `root` (links as their targets) with a hash of its bytes."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            files[str(path.relative_to(root))] = "-> " + os.readlink(path)
        elif path.is_file():
            files[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def _rows(path: Path) -> int:
    return len(pd.read_csv(path)) if path.exists() and path.stat().st_size else 0


def test_a_copy_resumes_in_place_and_a_second_resume_is_refused(tmp_path, ray_instance):
    space = {**tiny_spec()["space"], "epochs": 40, "batch_size": 16, "momentum": 0.9}
    spec = tmp_path / "spec.yaml"
    # One trial at a time: with one finished, one running and one queued, the last ones are made only by the
    # resume (Ray once wrote those into the original's directory)
    spec.write_text(yaml.safe_dump(tiny_spec(samples=5, max_concurrent=1, scheduler={"type": "fifo"}, space=space)))
    storage = tmp_path / "sweeps"
    address = ray_instance.address
    proc = subprocess.Popen(
        [SWEEP_BIN, "launch", str(spec), "--storage", str(storage), "--address", address, "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        original = wait_for(lambda: next(storage.glob("*/sweep.json"), None), "the sweep", proc=proc).parent
        wait_for(lambda: _rows(original / "trials.csv") >= 1, "a finished trial", proc=proc)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _rows(original / "trials.csv") < 3, "the sweep went too far before it could be interrupted"
    made_by_launch = {path.name for path in (original / "ray" / "sweep").glob("train_*")}
    copy = tmp_path / "elsewhere" / "copy"
    copy.parent.mkdir()
    subprocess.run(["cp", "-a", str(original), str(copy)], check=True)
    before = _tree(original)

    first = subprocess.Popen([SWEEP_BIN, "resume", str(copy), "--address", address, "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_for(lambda: holder(copy).get("pid") == first.pid and not holder(copy).get("released"), "the lock",
                 proc=first)  # fmt: skip
        second = run_cli("resume", str(copy), "--address", address, "--quiet", timeout=120)
        out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert second.returncode == 2 and len(lines) == 1 and f"pid {first.pid}" in lines[0], second.stderr
    assert first.returncode == 0, err

    assert _tree(original) == before, "resuming the copy changed the original"
    made_by_resume = {path.name for path in (copy / "ray" / "sweep").glob("train_*")} - made_by_launch
    assert made_by_resume, "every trial existed before the resume: the test no longer checks where new ones go"
    state = copy / "ray" / "sweep"  # the copy's newest Ray state is signed with this user's key
    assert unsigned(state, unpickled_files(state), load_key(create=False)) == []
    assert not (tmp_path / "sweeps").joinpath("ghost").exists()
    result = sweep.load(copy)
    planned = pd.read_csv(copy / "rounds" / "round-1.plan.csv")[S.PLAN_ID]
    assert result.status == "completed" and sorted(result.trials[S.PLAN_ID]) == sorted(planned)
    for _, group in result.history.groupby(S.PLAN_ID):  # no trial trained twice: each epoch once
        assert list(group[S.EPOCH]) == list(range(1, len(group) + 1))
    # A moved sweep resumes where it now is, and no directory reappears at the old path; with its plan files
    # deleted, round 1's plan is derived again from the spec's seed, the same, and the resume ends in time.
    moved = tmp_path / "moved"
    shutil.move(str(original), moved)
    plan = pd.read_csv(moved / "rounds" / "round-1.plan.csv")
    shutil.rmtree(moved / "rounds")
    started = time.monotonic()
    again = run_cli("resume", str(moved), "--address", address, timeout=BOUND_S)
    assert again.returncode == 0 and time.monotonic() - started < BOUND_S, again.stderr
    assert "round-1.plan.csv was gone: planned round 1 again from the spec (seed 3)" in again.stdout
    pd.testing.assert_frame_equal(pd.read_csv(moved / "rounds" / "round-1.plan.csv"), plan)
    assert not original.exists() and sweep.load(moved).status == "completed"
    assert sorted(sweep.load(moved).trials[S.PLAN_ID]) == sorted(planned)
