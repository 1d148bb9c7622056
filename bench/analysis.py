"""From the cost bench's raw runner records to the reported figures: the ideal wall, efficiencies, ratios,
checks, and which of the issues' targets a run meets."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from bench import report
from bench.report import target

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
        record.update(unaccounted(record))
        record.update(trial_window(record, cores))


def unaccounted(record: dict[str, Any]) -> dict[str, Any]:
    """`unaccounted`: the process's wall that no phase accounts for (None without phases): before the interpreter
    ran (fork/exec) and after the last phase (the interpreter's teardown); the phases start at the process's own
    start (/proc). Where the clocks say, in two: `before_start` (the bench's fork to the process's start as /proc
    has it; ~0, since /proc dates a process from its fork) and `after_phases` (the last phase's end to the
    process being reaped: the interpreter's teardown after the exit handlers)."""
    phases = record.get("phases")
    out: dict[str, Any] = {"unaccounted": None}
    if isinstance(phases, dict) and phases:
        out["unaccounted"] = record["wall"] - sum(
            v for v in phases.values() if isinstance(v, int | float) and math.isfinite(v)
        )
    clock, started, ended = record.get("clock") or {}, record.get("started_at"), record.get("ended_at")
    last = clock.get("exit_handler_at", clock.get("phases_ended_at"))
    if started is None or ended is None or "process_started_at" not in clock or last is None:
        return out
    return {**out, "before_start": clock["process_started_at"] - started, "after_phases": ended - last}


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
    return [f"{plan}: {seen}" for plan, seen in sorted(first.items()) if max(seen.values()) - min(seen.values()) > 1e-9]


COLUMNS = (  # the markdown table's (figure, title, format), after the runner
    ("runner", "runner", "{}"), ("wall", "wall s", "{:.1f}"), ("ray_init", "ray.init s", "{:.1f}"),
    ("unaccounted", "unaccounted s", "{:.2f}"), ("trials", "trials", "{:.0f}"), ("epochs", "epochs", "{:.0f}"),
    ("train_seconds", "Σ train s", "{:.1f}"), ("efficiency", "efficiency", "{:.2f}"),
    ("cpu_percent", "CPU %", "{:.0f}"), ("trial_cpu", "trials' core share", "{:.2f}"),
    ("window_cpu_percent", "CPU % in trial window", "{:.0f}"), ("wall_over_ideal", "wall/ideal", "{:.1f}"),
    ("best_dev_accuracy", "best dev acc", "{:.4f}"), ("wall_vs_sweep", "wall/sweep", "{:.2f}"),
    ("driver_maxrss_mb", "driver MB", "{:.0f}"),
)  # fmt: skip


def summarize(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per runner, the median over repetitions of each figure (ratios taken within a repetition first)."""
    return report.summarize(records, "runner", dict.fromkeys(key for key, _, _ in COLUMNS[1:]))


def _at_most(name: str, ratio: float | None, limit: float, what: str) -> dict[str, Any]:
    """`name` is met when ratio ≤ limit; the figures say `sweep = ratio × what`."""
    return target(name, None if ratio is None else ratio <= limit, "n/a" if ratio is None else f"{ratio:.2f} × {what}")


def _at_least(name: str, value: float | None, limit: float, shown: str = "{:.2f}") -> dict[str, Any]:
    return target(name, None if value is None else value >= limit, "n/a" if value is None else shown.format(value))


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the cost bench (met: None = not measured): issue 10's first (ratios within a repetition,
    medians over repetitions), then the earlier ones still in force."""
    out: list[dict[str, Any]] = []
    w = {name: data["records"] for name, data in result["workloads"].items()}
    row = {name: data["summary"] for name, data in result["workloads"].items()}
    if "W1" in w:
        out.append(_at_most("W1 cold: sweep wall ≤ 1.0 × hand-tuned Ray Tune", wall_ratio(w["W1"], SWEEP, RAY_TUNED),
                            1.0, "hand-tuned Ray Tune"))  # fmt: skip
        out.append(_at_most("W1 cold: sweep wall ≤ 1.5 × Optuna", wall_ratio(w["W1"], SWEEP, OPTUNA), 1.5, "Optuna"))
    for name in ("W1", "W2"):
        if name in w:
            out.append(_at_most(f"{name} warm: sweep wall ≤ 1.0 × Optuna", wall_ratio(w[name], SWEEP_WARM, OPTUNA),
                                1.0, "Optuna"))  # fmt: skip
    if "W2" in w:
        out.append(_at_most("W2 cold: sweep wall ≤ 1.3 × Optuna", wall_ratio(w["W2"], SWEEP, OPTUNA), 1.3, "Optuna"))
    if "W3" in w:
        out.append(_at_least("W3: sweep efficiency ≥ 0.85", row["W3"].get(SWEEP, {}).get("efficiency"), 0.85))
        out.append(_at_most("W3: sweep wall ≤ 1.0 × Optuna", wall_ratio(w["W3"], SWEEP, OPTUNA), 1.0, "Optuna"))
    if "W4" in w:
        machine = row["W4"].get(SWEEP, {}).get("window_cpu_percent")
        context = "" if machine is None else f"; whole machine {machine:.0f} % by /proc/stat"
        share = row["W4"].get(SWEEP, {}).get("trial_cpu")
        name = "W4: CPU use from the first trial's start to the last's end ≥ 90 % (trials' share of the cores)"
        out.append(_at_least(name, None if share is None else 100 * share, 90, "{:.0f} %" + context))
        out.append(_at_most("W4: 2-round wall ≤ 1.15 × one round of the same trials",
                            wall_ratio(w["W4"], SWEEP, SINGLE_ROUND), 1.15, "one round"))  # fmt: skip
    if "W1" in w:
        out.append(_at_most("W1 sweep wall ≤ 0.1 × Ray defaults", wall_ratio(w["W1"], SWEEP, RAY), 0.1, "Ray defaults"))
        best = row["W1"].get(SWEEP, {}).get("best_dev_accuracy")
        ref = row["W1"].get(SEQUENTIAL, {}).get("best_dev_accuracy")
        met = None if best is None or ref is None else abs(best - ref) < 1e-9
        out.append(target("W1 sweep best dev acc = full-budget reference's", met, f"{best} vs {ref}"))
    if "W2" in w:
        out.append(_at_least("W2 sweep efficiency ≥ 0.90", row["W2"].get(SWEEP, {}).get("efficiency"), 0.90))
    ok = [p for p in result.get("scale") or [] if p.get("ok")]
    if len(ok) >= 2:
        lo, hi = ok[0], ok[-1]
        growth = hi["overhead_per_trial"] / lo["overhead_per_trial"]
        figures = f"{hi['overhead_per_trial']:.2f} s vs {lo['overhead_per_trial']:.2f} s ({growth:.2f}×)"
        out.append(target(f"scale: overhead at {hi['trials']} ≤ 1.5 × at {lo['trials']}", growth <= 1.5, figures))
        if len(ok) >= 3:
            first = (ok[1]["driver_maxrss_mb"] - ok[0]["driver_maxrss_mb"]) / (ok[1]["trials"] - ok[0]["trials"])
            last = (ok[-1]["driver_maxrss_mb"] - ok[-2]["driver_maxrss_mb"]) / (ok[-1]["trials"] - ok[-2]["trials"])
            out.append(target("scale: driver memory sub-linear (MB per added trial not growing)", last <= first,
                              f"{first:.2f} → {last:.2f} MB/trial"))  # fmt: skip
        else:
            out.append(target("scale: driver memory sub-linear", None, "needs 3 sizes (full run)"))
    probe = result.get("trainable")
    if probe:
        out.append(target("trainable ≥ 2 × DataLoader loop", probe["speedup"] >= 2, f"{probe['speedup']:.1f}×"))
    return out
