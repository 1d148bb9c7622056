"""From raw runner records to the reported figures: the ideal wall, efficiencies, ratios, and checks."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

SWEEP, RAY, OPTUNA, SEQUENTIAL = "sweep launch", "ray defaults", "optuna", "sequential"


def epoch_costs(records: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Per config, the seconds of each epoch on one core: the mean over the sequential runs."""
    runs: dict[str, list[list[float]]] = defaultdict(list)
    for record in records:
        if record["runner"] == SEQUENTIAL and record.get("trials_detail"):
            for trial in record["trials_detail"]:
                runs[trial["plan_id"]].append(trial["epoch_seconds"])
    return {plan: [statistics.fmean(column) for column in zip(*lists, strict=False)] for plan, lists in runs.items()}


def ideal_wall(record: dict[str, Any], costs: dict[str, list[float]], cores: int) -> float | None:
    """Σ one-core seconds of the epochs this runner trained / cores: its wall with zero overhead."""
    if not costs or not record.get("trials_detail"):
        return None
    total = 0.0
    for trial in record["trials_detail"]:
        cost = costs.get(trial["plan_id"])
        if cost is None:
            return None
        total += sum(cost[: trial["epochs"]])
    return total / cores


def complete(records: list[dict[str, Any]], cores: int) -> None:
    """Adds the derived figures to every record of one workload (in place)."""
    costs = epoch_costs(records)
    sweep_wall = {r["rep"]: r["wall"] for r in records if r["runner"] == SWEEP and r.get("ok")}
    for record in records:
        if not record.get("ok"):
            continue
        detail = record["trials_detail"]
        record["trials"] = len(detail)
        record["epochs"] = sum(t["epochs"] for t in detail)
        record["train_seconds"] = sum(t["train_seconds"] for t in detail)
        record["efficiency"] = record["train_seconds"] / (record["wall"] * cores)
        record["best_dev_accuracy"] = max((max(t["curve"]) for t in detail if t["curve"]), default=None)
        ideal = ideal_wall(record, costs, cores)
        record["ideal_wall"] = ideal
        record["wall_over_ideal"] = record["wall"] / ideal if ideal else None
        base = sweep_wall.get(record["rep"])
        record["wall_vs_sweep"] = record["wall"] / base if base else None


def epoch1_mismatches(records: list[dict[str, Any]]) -> list[str]:
    """Configs whose dev_accuracy after epoch 1 differs between runners (they train identical configs)."""
    first: dict[str, dict[str, float]] = defaultdict(dict)
    for record in records:
        for trial in record.get("trials_detail") or []:
            if trial["curve"]:
                first[trial["plan_id"]][f"{record['runner']}#{record['rep']}"] = trial["curve"][0]
    bad = []
    for plan, values in sorted(first.items()):
        if max(values.values()) - min(values.values()) > 1e-9:
            bad.append(f"{plan}: {values}")
    return bad


def summarize(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per runner, the median over repetitions of each figure (ratios taken within a repetition first)."""
    keys = (
        "wall",
        "ray_init",
        "trials",
        "epochs",
        "train_seconds",
        "efficiency",
        "cpu_percent",
        "wall_over_ideal",
        "best_dev_accuracy",
        "wall_vs_sweep",
        "driver_maxrss_mb",
    )
    out: dict[str, dict[str, Any]] = {}
    for runner in dict.fromkeys(r["runner"] for r in records):
        mine = [r for r in records if r["runner"] == runner and r.get("ok")]
        row: dict[str, Any] = {
            "runs": len(mine),
            "failed": sum(1 for r in records if r["runner"] == runner and not r.get("ok")),
        }
        for key in keys:
            values = [r[key] for r in mine if isinstance(r.get(key), int | float) and not math.isnan(r[key])]
            row[key] = statistics.median(values) if values else None
        out[runner] = row
    return out
