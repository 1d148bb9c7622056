"""From raw runner records to the reported figures: the ideal wall, efficiencies, ratios, and checks."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

SWEEP, RAY, OPTUNA, SEQUENTIAL = "sweep launch", "ray defaults", "optuna", "sequential"
RAY_TUNED = "ray hand-tuned"  # plain Ray Tune as a skilled user writes it (bench/runners/ray_tuned.py)
SWEEP_WARM = "sweep launch (warm)"  # joins the local Ray `sweep up` started before the repetitions
SINGLE_ROUND = "sweep launch, 1 round"  # W4's reference: all its trials in one round
SWEEP_RUNNERS = (SWEEP, SWEEP_WARM, SINGLE_ROUND)  # `sweep launch` subprocesses (the others: runner modules)


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
        record["unaccounted"] = unaccounted(record)
        record.update(unaccounted_split(record))
        record.update(trial_window(record, cores))


def unaccounted(record: dict[str, Any]) -> float | None:
    """The process's wall that no phase accounts for: before the interpreter ran (fork/exec) and after the
    last phase (the interpreter's teardown). The phases start at the process's own start (/proc)."""
    phases = record.get("phases")
    if not isinstance(phases, dict) or not phases:
        return None
    return record["wall"] - sum(v for v in phases.values() if isinstance(v, int | float) and math.isfinite(v))


def unaccounted_split(record: dict[str, Any]) -> dict[str, float]:
    """The unaccounted remainder in two: `before_start` (the bench's fork to the process's start as /proc
    has it; ~0, since /proc dates a process from its fork) and `after_phases` (the last phase's end to the
    process being reaped: the interpreter's teardown after the exit handlers)."""
    clock, started, ended = record.get("clock") or {}, record.get("started_at"), record.get("ended_at")
    last = clock.get("exit_handler_at", clock.get("phases_ended_at"))
    if started is None or ended is None or "process_started_at" not in clock or last is None:
        return {}
    return {"before_start": clock["process_started_at"] - started, "after_phases": ended - last}


def trial_window(record: dict[str, Any], cores: int) -> dict[str, Any]:
    """From the first trial's start to the last trial's end (the driver's clock, `sweep launch` runs only):
    `trial_cpu` = Σ trial spans / (cores × window), the share of the cores trials held (W4's figure), and
    `window_cpu_percent`, the whole machine's CPU use (/proc/stat samples) over the same window, as context.

    A trial's span runs from its first report's time less the training seconds that report carries (so
    the data load and evaluation before it are not counted: a slight understatement) to its `finished_at`.
    """
    spans = record.get("trial_spans")
    if not spans:
        return {}
    start = min(a for a, _ in spans)
    end = max(b for _, b in spans)
    window = end - start
    if window <= 0:
        return {}
    busy = sum(b - a for a, b in spans)
    samples = [pct for t, pct in record.get("cpu_samples") or [] if start < t <= end + 0.5]
    return {
        "trial_window": window,
        "trial_cpu": busy / (cores * window),
        "window_cpu_percent": statistics.fmean(samples) if samples else None,
    }


def wall_ratio(records: list[dict[str, Any]], runner: str, other: str) -> float | None:
    """Median over repetitions of runner's wall / other's wall (within each repetition)."""
    walls: dict[str, dict[int, float]] = defaultdict(dict)
    for record in records:
        if record.get("ok"):
            walls[record["runner"]][record["rep"]] = record["wall"]
    ratios = [walls[runner][rep] / walls[other][rep] for rep in walls[runner] if rep in walls[other]]
    return statistics.median(ratios) if ratios else None


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
        "unaccounted",
        "trial_cpu",
        "window_cpu_percent",
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
