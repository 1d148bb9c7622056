"""`sweep launch` as a user runs it: the console script in a subprocess, on a spec YAML written to a
temporary directory. Its trials and curves are read back from the sweep directory it leaves (`sweep.load`),
with each trial's span on the driver's clock (for W4's CPU use between the first trial's start and the last's
end), and where its wall went from the events it writes (`sweep launch --events FILE`: each phase's start and
end on the driver's clock)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from bench.job import trial_record

EVENTS_FILE = "events.jsonl"
# sweep's phases (sweep.events.PhaseTimed) under the names the bench's report uses for every runner
PHASE_NAMES = {"ray_start": "ray_init", "rounds": "rounds", "summary": "finish", "ray_shutdown": "shutdown"}


def command(spec: dict[str, Any], workdir: Path, cores: int, *flags: str) -> list[str]:
    """`sweep launch` of `spec` (its YAML written into `workdir`, beside the storage directory), for both benches."""
    (workdir / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return launch_argv(workdir / "spec.yaml", workdir, cores, *flags)


def launch_argv(spec_path: Path, workdir: Path, cores: int, *flags: str) -> list[str]:
    """`sweep launch` as a user runs it: its sweeps under `workdir`/sweeps, quiet, no dashboard, its events in
    `workdir`/events.jsonl."""
    script = Path(sys.executable).parent / "sweep"
    return [str(script), "launch", str(spec_path), "--storage", str(workdir / "sweeps"), "--cpus", str(cores),
            "--quiet", "--no-dashboard", "--events", str(workdir / EVENTS_FILE), *flags]  # fmt: skip


def sweep_root(workdir: Path) -> Path:
    """The sweep directory `sweep launch` left under `workdir`/sweeps."""
    roots = sorted((workdir / "sweeps").glob("*/sweep.json"))
    if not roots:
        raise RuntimeError(f"sweep launch left no sweep directory under {workdir / 'sweeps'}")
    return roots[-1].parent


def collect(workdir: Path) -> dict[str, Any]:
    """Trials (epochs, training seconds, dev_accuracy curve) and their spans, read by `sweep.load`."""
    from sweep import load

    result = load(sweep_root(workdir))
    trials, history = result.trials, result.history.sort_values(["plan_id", "epoch"])
    epochs = trials.groupby("plan_id")["epochs_trained"].max()
    columns = ["wall_seconds", "epoch", "dev_accuracy", "train_seconds"]  # a runner's report, on the driver's clock
    records = [
        {**trial_record({"id": str(plan), "reports": group[columns].to_numpy().tolist()}), "epochs": int(epochs[plan])}
        for plan, group in history.groupby("plan_id")
    ]
    return {"trials": records, "trial_spans": trial_spans(float(result.state["started_at"]), trials, history)}


def trial_spans(started_at: float, trials: pd.DataFrame, history: pd.DataFrame) -> list[tuple[float, float]]:
    """Per trial, (start, end) in `time.time()` seconds: `wall_seconds` of its first report (seconds since
    the sweep's start, on the driver) less the training seconds that report carries (a batched report
    carries several epochs), to its `finished_at`."""
    finished = trials.groupby("plan_id")["finished_at"].max()
    spans = []
    for plan_id, group in history.groupby("plan_id"):
        if plan_id not in finished.index:
            continue
        first = group["wall_seconds"].min()
        trained = group.loc[group["wall_seconds"] == first, "train_seconds"].astype(float).max()
        spans.append((started_at + float(first) - trained, started_at + float(finished[plan_id])))
    return spans


def timings(workdir: Path, started_at: float, ended_at: float) -> dict[str, Any]:
    """Where the process's wall went, from its events, as consecutive phases from the bench's fork
    (`started_at`) to the process being reaped (`ended_at`): `startup` (interpreter, imports, the CLI, up to
    `run_sweep`), `ray_init`, `rounds`, `finish`, `shutdown`, `run_sweep_other` (the rest of `run_sweep`: the
    pre-flight, the sweep directory) and `exit`; the winner's test-split score (inside `finish`) as a detail.
    Also whether the driver started its Ray (False: it joined `sweep up`'s) and the CPUs Ray offered it.

    Raises:
        RuntimeError: the run wrote no events file, or not the phases (a sweep that did not get to the end).
    """
    path = workdir / EVENTS_FILE
    if not path.exists():
        raise RuntimeError(f"sweep launch wrote no {EVENTS_FILE} (--events)")
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    timed = {e["phase"]: e for e in events if e["event"] == "PhaseTimed"}
    missing = sorted({"sweep", *PHASE_NAMES} - set(timed))
    if missing:
        raise RuntimeError(f"sweep launch's events lack the phases {missing}")
    phases = {PHASE_NAMES[name]: timed[name]["ended"] - timed[name]["started"] for name in PHASE_NAMES}
    whole = timed["sweep"]
    phases["startup"] = whole["started"] - started_at
    phases["run_sweep_other"] = whole["ended"] - whole["started"] - sum(phases[name] for name in PHASE_NAMES.values())
    phases["exit"] = ended_at - whole["ended"]
    detail = {name: e["ended"] - e["started"] for name, e in timed.items() if name == "final_test"}
    started = next((e for e in events if e["event"] == "SweepStarted"), {})
    return {
        "phases": phases,
        "phase_detail": detail,
        "clock": {"process_started_at": started_at, "phases_ended_at": whole["ended"]},
        "ray_started_here": started.get("ray_started_here"),
        "cluster_cpus": started.get("cpus"),
    }
