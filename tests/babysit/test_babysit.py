"""Panda mode: babysit one model, nudge it mid-run through files, pause with Ctrl-C and resume."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from sweep.babysit.nudge import NUDGES_DIR, PID_FILE, live_pid, mark_running, mark_stopped, send_nudge
from sweep.babysit.run import babysit, start_run
from sweep.cli.babysit_cmd import chart_lines
from sweep.events import NudgeRejected
from sweep_errors import SweepError
from tests.conftest import SWEEP_BIN, invoke_cli, run_cli, wait_for

TINY = {"hidden_units": 8, "batch_size": 256, "threads": 1, "lr": 0.05}


def _epochs(run: Path) -> list[int]:
    path = run / "history.csv"
    if not path.exists() or path.stat().st_size == 0:
        return []
    return pd.read_csv(path)["epoch"].tolist()


def test_a_nudge_changes_the_next_epochs_lr_and_is_recorded(tmp_path):
    run = start_run({**TINY, "epochs": 5}, tmp_path, "t")
    sent = {}

    def on_report(metrics: dict) -> None:
        # Sent from the trainer's own report hook at epoch 2: the file is in place before the next poll.
        if metrics["epoch"] == 2:
            sent["file"] = send_nudge(run, ["lr=0.01", "momentum=0.95"])
            sent["file_existed"] = sent["file"].exists()

    result = babysit(run, on_report=on_report, handle_sigint=False)

    assert result.status == "finished" and result.stopped_epoch == 5
    assert sent["file_existed"] and not sent["file"].exists()  # consumed
    history = pd.read_csv(run / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3, 4, 5]
    assert history["lr"].tolist() == [0.05, 0.05, 0.01, 0.01, 0.01]
    nudged = history.set_index("epoch")["nudged"]
    assert nudged[3] == "lr=0.01, momentum=0.95" and nudged.drop(3).isna().all()
    log = pd.read_csv(run / "nudges.csv")
    assert log[["epoch", "key", "status"]].values.tolist() == [
        [3, "lr", "applied"],
        [3, "momentum", "applied"],
    ]
    assert not (run / PID_FILE).exists()  # finished: no longer nudgeable
    lines = chart_lines(history.to_dict("records"))
    marks = [line for line in lines if line.startswith("nudged")]
    assert len(marks) == 1 and marks[0].index("^") == len("nudged     ") + 2  # under epoch 3


def test_a_nudge_the_loop_rejects_is_recorded_and_training_goes_on(tmp_path):
    run = start_run({**TINY, "epochs": 3}, tmp_path, "t")
    rejected = []

    def on_report(metrics: dict) -> None:
        if metrics["epoch"] == 1:  # bypass the CLI's validation: the loop must still refuse it
            (run / NUDGES_DIR / "0001.json").write_text('{"lr": -1, "l2": 0.001}')

    told: list = []
    result = babysit(run, on_report=on_report, on_reject=lambda *a: rejected.append(a), handle_sigint=False,
                     observer=told.append)  # fmt: skip

    assert result.stopped_epoch == 3 and [r[0] for r in rejected] == ["lr"]
    # The observer hears the same: each epoch, then the refused nudge (the callbacks still run first).
    assert [type(e).__name__ for e in told] == ["EpochReported", "NudgeRejected", "EpochReported", "EpochReported"]
    assert told[1] == NudgeRejected("lr", -1, rejected[0][2]) and told[2].metrics["epoch"] == 2
    log = pd.read_csv(run / "nudges.csv").set_index("key")
    assert log.loc["lr", "status"] == "rejected" and "lr" in log.loc["lr", "reason"]
    assert log.loc["l2", "status"] == "applied" and log.loc["l2", "epoch"] == 2


def test_invalid_nudges_are_refused_with_one_line(tmp_path):
    run = start_run({**TINY, "epochs": 3}, tmp_path, "t")
    mark_running(run)  # this test process stands in for a live babysit
    proc = invoke_cli("nudge", str(run), "momentum=0.9", "hidden_units=32")  # the CLI: exit 2, one line
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "config.hidden_units: cannot change during training" in proc.stderr
    for bad, words in [
        ("lr=-1", "config.lr"),
        ("learning_rate=0.1", "cannot change during training"),
        ("lr", "key=value"),
    ]:
        with pytest.raises(SweepError, match=words):  # the same check, without another process start
            send_nudge(run, ["momentum=0.9", bad])
    assert list((run / NUDGES_DIR).iterdir()) == []  # nothing written for a refused nudge
    ok = invoke_cli("nudge", str(run), "lr=0.02", check=True)
    assert "queued" in ok.stdout and len(list((run / NUDGES_DIR).glob("*.json"))) == 1
    mark_stopped(run)
    proc = invoke_cli("nudge", str(run), "lr=0.02")
    assert proc.returncode == 2 and "not running" in proc.stderr


def test_a_killed_trainers_pid_file_is_not_taken_for_a_live_run(tmp_path):
    """The trainer was SIGKILLed and the system gave its pid to another process: the file names a live process,
    but nothing trains the run. Before, the nudge was queued for nobody and `babysit --resume` was refused."""
    run = start_run({**TINY, "epochs": 3}, tmp_path, "t")
    (run / PID_FILE).write_text(str(os.getppid()))  # a live process, not the run's trainer
    proc = invoke_cli("nudge", str(run), "lr=0.02")
    assert proc.returncode == 2 and "not running" in proc.stderr, proc.stderr
    assert not (run / NUDGES_DIR).exists() or not list((run / NUDGES_DIR).iterdir())
    mark_running(run)  # the run can be claimed again, and then it is live
    try:
        assert live_pid(run) == os.getpid()
    finally:
        mark_stopped(run)
    assert live_pid(run) is None and not (run / PID_FILE).exists()


def test_ctrl_c_pauses_at_a_checkpoint_and_resume_continues(tmp_path):
    sets = [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}")]
    proc = subprocess.Popen(
        [SWEEP_BIN, "babysit", *sets, "--epochs", "100000", "--runs", str(tmp_path), "--name", "p"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        run = wait_for(lambda: next(tmp_path.glob("p-*"), None), "the run directory", 60, proc)
        wait_for(lambda: len(_epochs(run)) >= 2, "two epochs", 60, proc)
        send_nudge(run, ["lr=0.02"])  # what `sweep nudge` does (its CLI is tested above)
        wait_for(lambda: (run / "nudges.csv").exists(), "the nudge to be applied", 60, proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    paused = [line for line in out.splitlines() if line.startswith("paused at epoch")]
    assert paused == [f"paused at epoch {_epochs(run)[-1]}: continue with sweep babysit --resume {run}"]
    stopped = _epochs(run)[-1]
    import torch

    assert torch.load(run / "state.pt", weights_only=True)["epoch"] == stopped
    assert _epochs(run) == list(range(1, stopped + 1))
    assert run_cli("nudge", str(run), "lr=0.1").returncode == 2  # paused: not running

    resumed = invoke_cli("babysit", "--resume", str(run), "--epochs", str(stopped + 3), check=True)
    assert "done: " in resumed.stdout
    history = pd.read_csv(run / "history.csv")
    assert history["epoch"].tolist() == list(range(1, stopped + 4))  # no epoch repeated or skipped
    assert (history["epoch"].iloc[-3:] > stopped).all()
    assert (history["lr"].iloc[-3:] == 0.02).all()  # the nudged config survives the pause
    assert history["nudged"].dropna().tolist() == ["lr=0.02"]


@pytest.mark.parametrize("args", [["--resume", "/nonexistent/run"], ["--set", "layers=-1"]])
def test_babysit_user_errors_are_one_line(tmp_path, args):
    proc = invoke_cli("babysit", *args, "--runs", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.startswith("error: "), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_runs_path_that_is_a_file_and_a_name_with_a_path_are_one_line_and_create_nothing(tmp_path):
    """Before: `--runs FILE` ended in "error: unexpected NotADirectoryError", and `--name ../x` trained a run
    outside `--runs`."""
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    proc = invoke_cli("babysit", "--runs", str(a_file), "--epochs", "1")
    assert (proc.returncode, proc.stderr) == (2, f"error: --runs {a_file}: not a directory; give a directory to "
                                                 "create the run in\n")  # fmt: skip
    runs = tmp_path / "runs"
    proc = invoke_cli("babysit", "--runs", str(runs), "--name", "../x", "--epochs", "1")
    assert proc.returncode == 2 and proc.stderr.startswith("error: name: '../x' must be a plain name"), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    with pytest.raises(SweepError, match=r"^--runs .*a-file: not a directory"):
        start_run({"epochs": 1}, a_file, "digits")


def test_babysit_says_in_one_line_why_a_user_trainable_cannot_be_nudged(tmp_path):
    spec = Path(__file__).parents[1] / "user_project" / "docs.yaml"
    proc = invoke_cli("babysit", str(spec), "--runs", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: trainable 'docs_trainable:train': babysit needs a built-in trainable (cnn1d, mlp): a Ray Tune "
        "function trainable "
        "has no call that receives new hyperparameters mid-run (Tune changes them only by restarting from a "
        "checkpoint): check it with `sweep train SPEC --set key=value`, or let `scheduler: pbt` change it between "
        "checkpoints\n"
    )
    typo = invoke_cli("babysit", "--set", "lrr=0.1", "--runs", str(tmp_path))
    assert typo.returncode == 2
    assert typo.stderr == "error: --set lrr: the mlp trainable has no config key 'lrr' (did you mean 'lr'?)\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("{bad", "Expecting property name"), ("[1, 2]", "a JSON list, not the run's config")],
)
def test_a_damaged_config_is_one_line_for_nudge_and_resume(tmp_path, text, reason):
    run = start_run({**TINY, "epochs": 2}, tmp_path, "t")
    (run / "config.json").write_text(text)
    mark_running(run)  # "running": nudge reads the config next
    try:
        for args in (("nudge", str(run), "lr=0.02"), ("babysit", "--resume", str(run))):
            proc = invoke_cli(*args)
            assert proc.returncode == 2 and proc.stderr.count("\n") == 1, (args, proc.stderr)
            assert proc.stderr.startswith(f"error: {run / 'config.json'}: damaged (") and reason in proc.stderr
            assert "start a new run" in proc.stderr
    finally:
        mark_stopped(run)


def test_a_damaged_checkpoint_is_one_line_for_resume_and_names_the_file(tmp_path):
    run = start_run({**TINY, "epochs": 2}, tmp_path, "t")
    (run / "state.pt").write_bytes(b"PK\x03\x04 cut short")
    proc = invoke_cli("babysit", "--resume", str(run))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"error: {run / 'state.pt'}: not a readable checkpoint (")
    fix = f"it was cut short or damaged: move it aside to train {run} again from its first epoch\n"
    assert proc.stderr.endswith(fix)


def test_an_observer_that_raises_is_one_warning_and_training_goes_on(tmp_path):
    """A notebook's progress widget that raises must not end the run (run_sweep, resume, refine and retest guard
    their observer the same way, sweep.events.guarded)."""
    import warnings

    from sweep.events import ObserverWarning

    run = start_run({**TINY, "epochs": 3}, tmp_path, "t")
    told = []

    def widget(event):
        told.append(event)
        raise RuntimeError("widget broke")

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        result = babysit(run, observer=widget, handle_sigint=False)
    assert result.status == "finished" and result.stopped_epoch == 3 and len(told) == 1
    ours = [w for w in said if issubclass(w.category, ObserverWarning)]
    assert len(ours) == 1 and str(ours[0].message).startswith("the observer raised RuntimeError: widget broke")


@pytest.mark.parametrize(("text", "who"), [("4242", "process 4242"), ("", "another process")])
def test_a_run_another_trainer_holds_is_refused_naming_it(tmp_path, text, who):
    """A second `babysit --resume` of a run being trained; the holder's pid not yet written: no 'process -1'."""
    import fcntl

    run = start_run({**TINY, "epochs": 2}, tmp_path, "t")
    holder = os.open(run / PID_FILE, os.O_RDWR | os.O_CREAT)  # another trainer's claim (its own open file)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        os.write(holder, text.encode())
        with pytest.raises(SweepError) as refused:
            mark_running(run)
        assert str(refused.value) == f"{run}: already being trained by {who}: nudge it instead, or stop that one"
    finally:
        os.close(holder)
