"""``sweep launch`` as a user runs it, on the preset with a method's changes, under ``--time-budget``.

The spec is the preset (with the mode's epoch cap) plus the method's changes (``rounds: 1``, ``sampler:
tpe``) and a per-round sample count large enough that the budget, not the plan, ends the sweep. The sweep's
own budget clock (``--time-budget``) starts when its command starts; the bench counts from the same
process start for every method.

Reports come back from the sweep directory: ``history.csv``'s ``wall_seconds`` (driver clock, seconds since
``sweep.json``'s ``started_at``) per epoch, the configs from ``rounds/round-N.plan.csv``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from bench.job import plain
from bench.runners.sweep_cli import sweep_root

LOTS = 1000  # samples per round: more than any budget here can train, so the budget decides


def collect(workdir: Path, launched_at: float) -> dict[str, Any]:
    """Trial records (configs, reports with seconds since launch) and the sweep's own summary."""
    root = sweep_root(workdir)
    state = json.loads((root / "sweep.json").read_text())
    offset = float(state["started_at"]) - launched_at  # the driver's clock → seconds since the process started
    configs: dict[str, dict[str, Any]] = {}
    for plan in sorted((root / "rounds").glob("round-*.plan.csv")):
        for row in pd.read_csv(plan).to_dict("records"):
            configs[str(row["plan_id"])] = plain({k: v for k, v in row.items() if k != "plan_id"})
    history = pd.read_csv(root / "history.csv") if (root / "history.csv").exists() else pd.DataFrame()
    trials = []
    if not history.empty:
        history = history.drop_duplicates(["plan_id", "epoch"], keep="first").sort_values(["plan_id", "epoch"])
        for plan_id, group in history.groupby("plan_id"):
            reports = [
                [round(float(w) + offset, 3), int(e), float(a)]
                for w, e, a in zip(group["wall_seconds"], group["epoch"], group["dev_accuracy"], strict=True)
            ]
            trials.append({"id": str(plan_id), "config": configs.get(str(plan_id), {}), "reports": reports})
    summary = state.get("summary") or {}
    return {
        "trials": trials,
        "sweep_dir": str(root),
        "sweep_status": state.get("status"),
        "sweep_test": (summary.get("test") or {}).get("test_accuracy"),
        "sweep_test_plan_id": (summary.get("test") or {}).get("plan_id"),
        "start_offset_s": offset,
    }
