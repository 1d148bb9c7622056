"""The sweep CLI end to end: embedded launch (dashboard, loopback), interrupt + resume, tables, bad input."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml

import sweep
from sweep.store import schema as S
from tests.conftest import SWEEP_BIN, invoke_cli, run_cli, tiny_spec, wait_for
from tests.toy_trainables import TALK


def _write_spec(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(tiny_spec(**changes)))
    return path


def _slow_space(epochs: int = 60) -> dict:
    """Trials of a couple of seconds each, so a sweep can be caught mid-flight."""
    return {**tiny_spec()["space"], "epochs": epochs, "batch_size": 16, "momentum": 0.9}


def _sweep_dir(storage: Path) -> Path | None:
    found = list(storage.glob("*/sweep.json"))
    return found[0].parent if found else None


# Runs a command as a terminal's foreground job gets it: Ctrl-C's SIGINT neither ignored nor blocked (a test
# process may pass on either, and a process started with SIGINT ignored rightly goes on ignoring it)
AS_IN_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); os.execv(sys.argv[1], sys.argv[1:])"
)
AS_A_BACKGROUND_JOB = AS_IN_A_TERMINAL.replace("SIG_DFL", "SIG_IGN")  # what `cmd &` in a shell script gets


def _start_launch(spec: Path, storage: Path, *options: str, how: str = AS_IN_A_TERMINAL) -> subprocess.Popen:
    """`sweep launch SPEC --storage STORAGE OPTIONS...` in the background, its output captured as text."""
    return subprocess.Popen(
        [sys.executable, "-c", how, SWEEP_BIN, "launch", str(spec), "--storage", str(storage), *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _ray_starting(proc: subprocess.Popen) -> bool:
    """Whether the launch has started its Ray's first process (the GCS): `ray.init` runs for seconds more."""
    with contextlib.suppress(psutil.Error):
        return any(child.name() == "gcs_server" for child in psutil.Process(proc.pid).children(recursive=True))
    return False


def _rows(path: Path) -> int:
    return len(pd.read_csv(path)) if path.exists() and path.stat().st_size else 0


def _token() -> str:
    return (Path.home() / ".ray" / "auth_token").read_text().strip()


def _get(url: str, token: str | None) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def _loopback(ip: str) -> bool:
    return ip.startswith("127.") or ip in ("::1", "::ffff:127.0.0.1") or ip.startswith("::ffff:127.")


@pytest.mark.ray
def test_launch_on_embedded_ray_with_dashboard_on_loopback(tmp_path):
    spec = _write_spec(tmp_path, samples=4, scheduler={"type": "fifo"}, space=_slow_space(40))
    # A local run ships nothing: a 600 MB file beside the spec (sparse: no disk used) is over Ray's 512 MiB
    # upload limit, and would fail a launch that copied the directory through Ray.
    with open(tmp_path / "big.bin", "wb") as big:
        big.truncate(600 * 2**20)
    storage = tmp_path / "sweeps"
    proc = _start_launch(spec, storage, "--cpus", "2")
    try:
        url = None
        for line in proc.stdout:  # the dashboard line comes once, at start
            match = re.search(r"dashboard: (http://[\d.]+:\d+)", line)
            if match:
                url = match.group(1)
                break
        assert url and url.startswith("http://127.0.0.1:")
        directory = wait_for(lambda: _sweep_dir(storage), "the sweep directory", proc=proc)
        wait_for(lambda: _rows(directory / "history.csv") > 0, "the first epoch", proc=proc)
        # The dashboard's HTTP API answers only with the token.
        assert _get(f"{url}/api/version", _token()) == 200
        assert _get(f"{url}/api/version", None) == 401
        assert Path.home().joinpath(".ray", "auth_token").stat().st_mode & 0o777 == 0o600
        # Every socket the sweep's processes listen on is a loopback one.
        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        pids = {p.pid for p in tree}
        listening = [c for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN and c.pid in pids]
        assert listening, "Ray's processes should be listening"
        assert all(_loopback(c.laddr.ip) for c in listening), [c.laddr for c in listening]
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "winner r1-" in out and "test_accuracy" in out

    # The tables commands read what is on disk.
    shown = run_cli("show", str(directory), "--top", "2", check=True)
    assert "best dev_accuracy" in shown.stdout and shown.stdout.count("r1-") >= 2
    listed = run_cli("ls", str(storage), check=True)
    assert directory.name in listed.stdout and "completed" in listed.stdout
    exported = tmp_path / "top.parquet"
    run_cli("export", str(directory), "-o", str(exported), "--top", "2", "--status", "completed", check=True)
    table = pd.read_parquet(exported)
    assert len(table) == 2 and (table[S.STATUS] == "completed").all()
    assert table[S.BEST].is_monotonic_decreasing


@pytest.mark.ray
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["sigint", "sigterm", "sigkill"])
def test_interrupted_sweep_resumes_with_every_trial_once(tmp_path, ray_instance, how):
    spec = _write_spec(tmp_path, samples=6, scheduler={"type": "fifo"}, space=_slow_space(60))
    storage = tmp_path / "sweeps"
    address = ray_instance.address
    proc = _start_launch(spec, storage, "--address", address, "--quiet")
    try:
        directory = wait_for(lambda: _sweep_dir(storage), "the sweep directory", proc=proc)
        wait_for(lambda: _rows(directory / "trials.csv") >= 1, "a finished trial", proc=proc)
        os.kill(proc.pid, how)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = pd.read_csv(directory / "trials.csv")
    assert len(before) < 6, "the sweep finished before it could be interrupted"
    if how in (signal.SIGINT, signal.SIGTERM):  # a clean stop: the shell's exit code, the resume line, no dump
        assert proc.returncode == (130 if how == signal.SIGINT else 143) and f"sweep resume {directory}" in out
        assert "Traceback" not in err and "SIGTERM received" not in err, err
        assert sweep.load(directory).state["status"] == "interrupted"
    else:
        assert proc.returncode == -signal.SIGKILL
        assert sweep.load(directory).status == "interrupted", "a dead driver's sweep still reads as running"

    resumed = run_cli("resume", str(directory), "--address", address, "--quiet", check=True)
    assert resumed.returncode == 0
    result = sweep.load(directory)
    planned = pd.read_csv(directory / "rounds" / "round-1.plan.csv")[S.PLAN_ID]
    assert sorted(result.trials[S.PLAN_ID]) == sorted(planned)
    assert set(result.trials[S.STATUS]) <= set(S.STATUSES) and result.status == "completed"
    # After Ctrl-C, trials that had finished are not trained again (same rows as before). After SIGKILL, Ray
    # resumes from its last experiment snapshot: a trial that ended after it redoes the epochs since its last
    # checkpoint, deterministically, so its results are the same.
    kept = [S.EPOCHS, S.BEST] + ([S.TRAIN_SECONDS, S.FINISHED] if how != signal.SIGKILL else [])
    again = result.trials.set_index(S.PLAN_ID).loc[before[S.PLAN_ID], kept].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, before[kept], check_dtype=False)
    # Each trial's history is one row per epoch, 1..N, with no gap and no repeat.
    for _, group in result.history.groupby(S.PLAN_ID):
        assert list(group[S.EPOCH]) == list(range(1, len(group) + 1))


@pytest.mark.ray
@pytest.mark.parametrize(
    "how, started",
    [(signal.SIGINT, AS_IN_A_TERMINAL), (signal.SIGTERM, AS_IN_A_TERMINAL), (signal.SIGKILL, AS_IN_A_TERMINAL),
     (signal.SIGTERM, AS_A_BACKGROUND_JOB)],
    ids=["sigint", "sigterm", "sigkill", "sigterm-to-a-job-that-ignores-sigint"],
)  # fmt: skip
def test_a_launch_stopped_while_ray_starts_reads_as_interrupted_and_resumes(tmp_path, ray_instance, how, started):
    """Stopped in a launch's first seconds, while its own Ray starts (after the sweep's directory is made): the
    sweep reads as interrupted, and a clean stop prints the resume line and the shell's exit code. Before, Ctrl-C
    printed only "aborted", SIGTERM met Ray's start-up handler (exit 15, nothing said), and every stop left a
    sweep that `sweep ls` showed as "planned" forever."""
    spec = _write_spec(tmp_path, samples=3)
    storage = tmp_path / "sweeps"
    proc = _start_launch(spec, storage, "--cpus", "1", how=started)
    try:
        directory = wait_for(lambda: _sweep_dir(storage), "the sweep directory", proc=proc)
        wait_for(lambda: _ray_starting(proc), "Ray's start", proc=proc)
        os.kill(proc.pid, how)  # Ray takes seconds more to start after its first process
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    if how == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == (130 if how == signal.SIGINT else 143), (out, err)
        assert f"sweep resume {directory}" in out and sweep.load(directory).state["status"] == "interrupted"
        assert "Traceback" not in err and "aborted" not in err, err
    assert sweep.load(directory).status == "interrupted"
    assert "interrupted" in run_cli("ls", str(storage), check=True).stdout

    run_cli("resume", str(directory), "--address", ray_instance.address, "--quiet", check=True)
    result = sweep.load(directory)
    assert result.status == "completed" and len(result.trials) == 3


@pytest.mark.ray
def test_a_joined_rays_workers_do_not_print_on_the_terminal(tmp_path, ray_instance):
    """On a Ray the launch joins (`--address`), the trials' own output stays in Ray's logs and the dashboard, as on
    the embedded Ray: streamed to the terminal it also brought Ray's workers' `Exception ignored ... SystemExit`
    tracebacks when a stopped sweep's workers were ended (about 1 stop in 10)."""
    spec = _write_spec(tmp_path, trainable="tests.toy_trainables:talks", samples=3, scheduler={"type": "fifo"},
                       space={"x": {"uniform": [0.0, 1.0]}, "epochs": 4, "seconds": 1.0})  # fmt: skip
    done = run_cli("launch", str(spec), "--storage", str(tmp_path / "sweeps"), "--address", ray_instance.address,
                   "--quiet", check=True)  # fmt: skip
    assert sweep.load(_sweep_dir(tmp_path / "sweeps")).status == "completed"
    assert TALK not in done.stdout + done.stderr, done.stdout + done.stderr


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_bad_inputs_are_one_line_errors(tmp_path):
    bad_spec = tmp_path / "bad.yaml"
    bad_spec.write_text(yaml.safe_dump({**tiny_spec(), "sampler": "gird"}))
    assert "sampler" in _one_line_error(invoke_cli("launch", str(bad_spec), "--storage", str(tmp_path)))

    unknown = _write_spec(tmp_path, trainable="nosuchpkg.module:train")
    line = _one_line_error(invoke_cli("launch", str(unknown), "--storage", str(tmp_path)))
    assert "nosuchpkg" in line
    assert not list(tmp_path.glob("*/sweep.json")), "nothing is started for a bad trainable"

    missing = tmp_path / "no-such-sweep"
    for command in ("resume", "show", "refine"):
        assert "no-such-sweep" in _one_line_error(invoke_cli(command, str(missing)))
    assert "parquet" in _one_line_error(invoke_cli("export", str(missing), "-o", str(tmp_path / "x.xlsx")))
