"""`sweep launch` as a user runs it: the console script in a subprocess, on a spec YAML written to a
temporary directory. Its trials and curves are read back from the sweep directory it leaves (`sweep.load`),
with each trial's span on the driver's clock (for W4's CPU use between the first trial's start and the last's
end)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from bench.job import trial_record
from bench.workloads import Workload

HOOKS = Path(__file__).resolve().parent.parent / "hooks"


def command(workload: Workload, workdir: Path, cores: int) -> list[str]:
    """The workload's `sweep launch` command line (the spec YAML is written beside the storage directory)."""
    spec_path = workdir / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(workload.spec(), sort_keys=False))
    return launch_argv(spec_path, workdir, cores)


def launch_argv(spec_path: Path, workdir: Path, cores: int, *flags: str) -> list[str]:
    """`sweep launch` as a user runs it, for both benches: its sweeps under `workdir`/sweeps, quiet, no dashboard."""
    script = Path(sys.executable).parent / "sweep"
    return [str(script), "launch", str(spec_path), "--storage", str(workdir / "sweeps"), "--cpus", str(cores),
            "--quiet", "--no-dashboard", *flags]  # fmt: skip


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
    records = [
        {**trial_record(str(plan), group.to_dict("records")), "epochs": int(epochs[plan])}
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
