"""The library returns, the CLI renders: a sweep tells typed events to its observer and prints nothing; the
CLI's printer turns them into the terminal's lines."""

from __future__ import annotations

import io
import pickle
import signal
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from search_spaces import load_spec
from sweep import RunOptions, resume_sweep, run_sweep
from sweep import events as E
from sweep.cli.render import Printer
from sweep.run.recorder import SweepInfo
from sweep.run.sweep_plan import SweepPlan
from sweep.run.warm_start import WarmConfig
from sweep.store.layout import SweepDir
from tests.conftest import SWEEP_BIN, tiny_spec, wait_for


@pytest.mark.ray
def test_a_sweep_prints_nothing_and_tells_its_observer_rounds_trials_and_summary_in_order(
    tmp_path, capfd, ray_instance
):
    spec = load_spec({"name": "events", "trainable": "tests.toy_trainables:steady", "samples": 2, "seed": 1,
                      "rounds": {"count": 2, "model": "none"}, "scheduler": "fifo",
                      "space": {"x": {"uniform": [0.0, 1.0]}, "epochs": 2, "seconds": 0.2}})  # fmt: skip
    told: list[E.Event] = []
    capfd.readouterr()
    result = run_sweep(spec, RunOptions(storage=str(tmp_path), final_test=False, dashboard=False), observer=told.append)

    out, err = capfd.readouterr()
    assert (out, err) == ("", ""), "the library printed"
    kinds = [type(e).__name__ for e in told if not isinstance(e, E.ProgressUpdated | E.PhaseTimed)]
    started, summary = (e for e in told if isinstance(e, E.SweepStarted | E.SweepSummary))
    assert kinds[0] == "SweepStarted" and started.location == str(result.path)  # type: ignore[union-attr]
    assert started.ray_started_here is False and started.cpus == 2  # type: ignore[union-attr] # the tests' Ray
    assert kinds[-1] == "SweepSummary" and summary.result.path == result.path  # type: ignore[union-attr]
    # Where the wall went: consecutive phases inside the whole, told as each ends (the bench's timings).
    phases = [e for e in told if isinstance(e, E.PhaseTimed)]
    assert [p.phase for p in phases] == ["ray_start", "rounds", "summary", "ray_shutdown", "sweep"]
    whole = phases[-1]
    assert all(whole.started <= p.started <= p.ended <= whole.ended for p in phases)
    assert all(a.ended <= b.started for a, b in zip(phases[:-2], phases[1:-1], strict=True))
    rounds = [e for e in told if isinstance(e, E.RoundPlanned)]
    assert [(r.number, r.samples) for r in rounds] == [(1, 2), (2, 2)]
    ended = [e for e in told if isinstance(e, E.TrialEnded)]
    assert sorted(e.plan_id for e in ended) == sorted(result.trials["plan_id"])
    assert {e.plan_id: e.status for e in ended} == result.trials.set_index("plan_id")["status"].to_dict()
    # Round 1 is planned before any trial ends, round 2 before its own trials end, the summary after all.
    position = {id(e): i for i, e in enumerate(told)}
    assert position[id(rounds[0])] < min(position[id(e)] for e in ended)
    assert position[id(rounds[1])] < min(position[id(e)] for e in ended if e.round == 2)
    progress = [e for e in told if isinstance(e, E.ProgressUpdated)]
    assert progress and progress[-1].final and progress[-1].finished == len(result.trials)


def _plan(tmp_path, observer: E.Observer | None) -> SweepPlan:
    spec = load_spec(tiny_spec())
    return SweepPlan(SweepDir(tmp_path), spec.to_dict(), spec.space.to_dict(), (), observer=observer)


def test_the_observer_stays_out_of_what_ray_pickles(tmp_path):
    # Ray pickles the searcher and the recorder with its Tuner (tuner.pkl); a terminal's observer (here a lambda,
    # which plain pickle refuses) must not go with them, and must not break them.
    def observer(event: E.Event) -> None:
        pass

    info = SweepInfo(str(tmp_path), {1: None}, 4, "dev_accuracy", "max", 3, (), 0.0, observer=lambda e: observer(e))
    plan = _plan(tmp_path, lambda e: observer(e))
    info_back, plan_back = pickle.loads(pickle.dumps(info)), pickle.loads(pickle.dumps(plan))
    assert info_back.observer is None and plan_back.observer is None
    assert info_back == info and plan_back.slots == plan.slots and plan_back.spec == plan.spec


def _render(events: list[E.Event], quiet: bool = False) -> None:
    printer = Printer(quiet)
    for event in events:
        printer(event)


def test_the_printer_writes_the_lines_the_terminal_has_always_shown(capsys):
    dashboard = "dashboard: http://127.0.0.1:8265  (token auth is on: ...)"
    events: list[E.Event] = [
        E.WarmStartPlanned(
            "sweeps/old",
            (WarmConfig("r2-003", 1, 0.94151, {}, []), WarmConfig("r1-002", 2, 0.8997, {}, ["lr 2 → 1 (the bound)"])),
        ),
        E.SweepStarted("sweeps/tiny-1", "Ray: joined the cluster at 127.0.0.2:6379", dashboard),
        E.RoundPlanned(1, 8, guided=True, baseline=True),
        E.RoundPlanned(2, 4, regions=1, exploring=1, zoom=("lr: loguniform [0.001, 1] → [0.1, 0.5]",)),
        E.RoundPlanned(3, 4, stage=2, regions=3, exploring=2),
        E.RoundPlanned(1, 8, proposer="TPE (Optuna)"),
        E.TrialEnded("r1-000", "t0", 1, "completed", 3, 0.9),
        E.TrialEnded("r1-001", "t1", 1, "error", 1, None, "ValueError: \x1b[31mbad\x1b[0m\n  batch", {"lr": 0.1}),
        E.RoundReplanned("sweeps/tiny-1/rounds/round-1.plan.csv", 3),
        E.DiskFullRequeued(2),
        E.RetestProgress(1, 4),
        E.Interrupted("sweeps/tiny-1"),
        E.SweepSummary(None, "all 2 trials failed: 2 error (ValueError)\nlogs: sweeps/tiny-1/trial-errors.log"),  # type: ignore[arg-type]
    ]
    _render(events)
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "warm start from sweeps/old: round 1 re-trains its top 2 configs",
        "  #1 r2-003 (0.9415): unchanged",
        "  #2 r1-002 (0.8997): lr 2 → 1 (the bound)",
        "sweep: sweeps/tiny-1",
        "Ray: joined the cluster at 127.0.0.2:6379",
        dashboard,
        "round 1: 8 samples, each chosen by the model among draws from there (the first: the baseline, every "
        "parameter at its default)",
        "round 2: 4 samples around the best 1 trial so far, 1 of them from the whole space again",
        "  lr: loguniform [0.001, 1] → [0.1, 0.5]",
        "round 3 (stage: tier 2): 4 samples around the best 3 trials so far, 2 of them from the stage's space again",
        "round 1: 8 samples proposed by TPE (Optuna)",
        "sweeps/tiny-1/rounds/round-1.plan.csv was gone: planned round 1 again from the spec (seed 3)",
        "the sweep ended on a full disk: the rest of the plan runs afresh from the tables; 2 trials that died of "
        "it train again",
        "retest: 1/4 runs done",
        "interrupted: results so far are in sweeps/tiny-1; continue with: sweep resume sweeps/tiny-1",
        "",
        "all 2 trials failed: 2 error (ValueError)",
        "logs: sweeps/tiny-1/trial-errors.log",
    ]
    assert err == "trial r1-001 failed: ValueError: bad batch (config {'lr': 0.1}; traceback in trial-errors.log)\n"

    _render(events, quiet=True)
    out, err = capsys.readouterr()
    assert out.splitlines() == [  # what a script needs: where, which Ray, a replanned file, the interruption
        "sweep: sweeps/tiny-1",
        "Ray: joined the cluster at 127.0.0.2:6379",
        "sweeps/tiny-1/rounds/round-1.plan.csv was gone: planned round 1 again from the spec (seed 3)",
        "interrupted: results so far are in sweeps/tiny-1; continue with: sweep resume sweeps/tiny-1",
        "all 2 trials failed: 2 error (ValueError)",  # a failure report is printed whole, without the blank line
        "logs: sweeps/tiny-1/trial-errors.log",
    ]
    assert err.startswith("trial r1-001 failed: ")


def _progress(finished: int, running: int, final: bool = False) -> E.ProgressUpdated:
    return E.ProgressUpdated("round 1", 4, "dev_accuracy", 0.0, finished, 0, 0, running, 0.5, final=final)


def test_the_progress_line_prints_on_a_change_of_counts_and_at_the_end(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    _render([_progress(0, 2), _progress(0, 2), _progress(1, 2), _progress(1, 2), _progress(1, 2, final=True)])
    lines = err.getvalue().splitlines()
    assert [line.split(" | ")[0] for line in lines] == [
        "round 1: 0/4 done (0 pruned, 0 failed), 2 running",
        "round 1: 1/4 done (0 pruned, 0 failed), 2 running",
        "round 1: 1/4 done (0 pruned, 0 failed), 2 running",  # the last one, always
    ]
    assert lines[0].split(" | ")[1] == "best dev_accuracy 0.5000"
    err.truncate(0)
    _render([_progress(0, 2), _progress(1, 1, final=True)], quiet=True)
    assert err.getvalue() == ""


@pytest.mark.ray
@pytest.mark.slow
def test_a_resumed_sweep_tells_its_observer_from_the_restored_tuner(tmp_path, capfd, ray_instance):
    # Ray restores the searcher and the recorder from its pickled snapshot (`Tuner.restore`): the observer of the
    # resuming call, not of the interrupted one, must hear the trials that end after the resume.
    spec = {"name": "steady", "trainable": "tests.toy_trainables:steady", "samples": 4, "seed": 1,
            "scheduler": "fifo", "space": {"x": {"uniform": [0.0, 1.0]}, "epochs": 2, "seconds": 2.0}}  # fmt: skip
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    storage = tmp_path / "sweeps"
    command = [SWEEP_BIN, "launch", str(tmp_path / "spec.yaml"), "--storage", str(storage),
               "--address", ray_instance.address, "--max-concurrent", "1", "-q"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        directory = wait_for(lambda: next(storage.glob("steady-*"), None), "the sweep directory", proc=proc)
        trials = directory / "trials.csv"
        wait_for(lambda: trials.exists() and trials.stat().st_size > 0, "a finished trial", proc=proc)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert f"interrupted: results so far are in {directory}; continue with: sweep resume {directory}" in out
    before = set(pd.read_csv(trials)["plan_id"])
    assert len(before) < 4, "the sweep finished before it could be interrupted"

    told: list[E.Event] = []
    capfd.readouterr()
    result = resume_sweep(directory, observer=told.append)
    assert capfd.readouterr() == ("", ""), "the library printed"
    ended = {e.plan_id for e in told if isinstance(e, E.TrialEnded)}
    assert ended == set(result.trials["plan_id"]) - before and ended, "the restored recorder told no trial's end"
    kinds = [e for e in told if not isinstance(e, E.PhaseTimed)]
    assert isinstance(kinds[0], E.SweepStarted) and isinstance(kinds[-1], E.SweepSummary)
