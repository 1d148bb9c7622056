"""The markdown table, where each runner's wall went, and which of the issue's targets this run meets."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from bench.analysis import OPTUNA, RAY, RAY_TUNED, SEQUENTIAL, SINGLE_ROUND, SWEEP, SWEEP_WARM, wall_ratio

COLUMNS = (
    ("runner", "runner", "{}"),
    ("wall", "wall s", "{:.1f}"),
    ("ray_init", "ray.init s", "{:.1f}"),
    ("unaccounted", "unaccounted s", "{:.2f}"),
    ("trials", "trials", "{:.0f}"),
    ("epochs", "epochs", "{:.0f}"),
    ("train_seconds", "Σ train s", "{:.1f}"),
    ("efficiency", "efficiency", "{:.2f}"),
    ("cpu_percent", "CPU %", "{:.0f}"),
    ("trial_cpu", "trials' core share", "{:.2f}"),
    ("window_cpu_percent", "CPU % in trial window", "{:.0f}"),
    ("wall_over_ideal", "wall/ideal", "{:.1f}"),
    ("best_dev_accuracy", "best dev acc", "{:.4f}"),
    ("wall_vs_sweep", "wall/sweep", "{:.2f}"),
    ("driver_maxrss_mb", "driver MB", "{:.0f}"),
)


def _cell(value: Any, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


def table(summary: dict[str, dict[str, Any]]) -> str:
    """One row per runner; a column no runner has a figure for (W4's trial window elsewhere) is left out."""
    shown = [c for c in COLUMNS if c[0] == "runner" or any(row.get(c[0]) is not None for row in summary.values())]
    lines = ["| " + " | ".join(title for _, title, _ in shown) + " |", "|" + "---|" * len(shown)]
    for runner, row in summary.items():
        row = {"runner": runner, **row}
        lines.append("| " + " | ".join(_cell(row.get(key), fmt) for key, _, fmt in shown) + " |")
    return "\n".join(lines)


def phase_lines(records: list[dict[str, Any]]) -> list[str]:
    """Per runner, the median seconds of each phase (from the process's start) and what no phase covers."""
    by_runner: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        if record.get("ok") and isinstance(record.get("phases"), dict):
            for name, value in record["phases"].items():
                by_runner[record["runner"]][name].append(float(value))
            for key in ("unaccounted", "before_start", "after_phases"):
                if record.get(key) is not None:
                    by_runner[record["runner"]][key].append(record[key])
            by_runner[record["runner"]]["wall"].append(record["wall"])
    lines = []
    for runner, phases in by_runner.items():
        parts = [f"{name} {statistics.median(values):.2f}" for name, values in phases.items() if name != "wall"]
        lines.append(f"- {runner} (wall {statistics.median(phases['wall']):.1f} s): " + ", ".join(parts))
    return lines


def _at_most(name: str, ratio: float | None, limit: float, what: str) -> tuple[str, bool | None, str]:
    """`name` is met when ratio ≤ limit; the figures say `sweep = ratio × what`."""
    if ratio is None:
        return name, None, "n/a"
    return name, ratio <= limit, f"{ratio:.2f} × {what}"


def targets(result: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """(target, met? (None: not measured), the figures) for each target: issue 10's first (ratios within a
    repetition, medians over repetitions), then the earlier ones still in force."""
    out: list[tuple[str, bool | None, str]] = []
    w = result["workloads"]
    if "W1" in w:
        records = w["W1"]["records"]
        out.append(_at_most("W1 cold: sweep wall ≤ 1.0 × hand-tuned Ray Tune", wall_ratio(records, SWEEP, RAY_TUNED),
                            1.0, "hand-tuned Ray Tune"))  # fmt: skip
        out.append(_at_most("W1 cold: sweep wall ≤ 1.5 × Optuna", wall_ratio(records, SWEEP, OPTUNA), 1.5, "Optuna"))
    for name in ("W1", "W2"):
        if name in w:
            ratio = wall_ratio(w[name]["records"], SWEEP_WARM, OPTUNA)
            out.append(_at_most(f"{name} warm: sweep wall ≤ 1.0 × Optuna", ratio, 1.0, "Optuna"))
    if "W2" in w:
        ratio = wall_ratio(w["W2"]["records"], SWEEP, OPTUNA)
        out.append(_at_most("W2 cold: sweep wall ≤ 1.3 × Optuna", ratio, 1.3, "Optuna"))
    if "W3" in w:
        eff = w["W3"]["summary"].get(SWEEP, {}).get("efficiency")
        out.append(("W3: sweep efficiency ≥ 0.85", None if eff is None else eff >= 0.85,
                    "n/a" if eff is None else f"{eff:.2f}"))  # fmt: skip
        ratio = wall_ratio(w["W3"]["records"], SWEEP, OPTUNA)
        out.append(_at_most("W3: sweep wall ≤ 1.0 × Optuna", ratio, 1.0, "Optuna"))
    if "W4" in w:
        row = w["W4"]["summary"].get(SWEEP, {})
        share, machine = row.get("trial_cpu"), row.get("window_cpu_percent")
        context = "" if machine is None else f"; whole machine {machine:.0f} % by /proc/stat"
        out.append(("W4: CPU use from the first trial's start to the last's end ≥ 90 % (trials' share of the cores)",
                    None if share is None else share >= 0.90,
                    "n/a" if share is None else f"{100 * share:.0f} %{context}"))  # fmt: skip
        ratio = wall_ratio(w["W4"]["records"], SWEEP, SINGLE_ROUND)
        out.append(_at_most("W4: 2-round wall ≤ 1.15 × one round of the same trials", ratio, 1.15, "one round"))
    if "W1" in w:
        s = w["W1"]["summary"]
        ray = wall_ratio(w["W1"]["records"], SWEEP, RAY)
        out.append(_at_most("W1 sweep wall ≤ 0.1 × Ray defaults", ray, 0.1, "Ray defaults"))
        best, ref = s.get(SWEEP, {}).get("best_dev_accuracy"), s.get(SEQUENTIAL, {}).get("best_dev_accuracy")
        met = None if best is None or ref is None else abs(best - ref) < 1e-9
        out.append(("W1 sweep best dev acc = full-budget reference's", met, f"{best} vs {ref}"))
    if "W2" in w:
        eff = w["W2"]["summary"].get(SWEEP, {}).get("efficiency")
        out.append(("W2 sweep efficiency ≥ 0.90", None if eff is None else eff >= 0.90,
                    "n/a" if eff is None else f"{eff:.2f}"))  # fmt: skip
    scale = result.get("scale") or []
    ok = [p for p in scale if p.get("ok")]
    if len(ok) >= 2:
        lo, hi = ok[0], ok[-1]
        growth = hi["overhead_per_trial"] / lo["overhead_per_trial"]
        out.append(
            (
                f"scale: overhead at {hi['trials']} ≤ 1.5 × at {lo['trials']}",
                growth <= 1.5,
                f"{hi['overhead_per_trial']:.2f} s vs {lo['overhead_per_trial']:.2f} s ({growth:.2f}×)",
            )
        )
        if len(ok) >= 3:
            first = (ok[1]["driver_maxrss_mb"] - ok[0]["driver_maxrss_mb"]) / (ok[1]["trials"] - ok[0]["trials"])
            last = (ok[-1]["driver_maxrss_mb"] - ok[-2]["driver_maxrss_mb"]) / (ok[-1]["trials"] - ok[-2]["trials"])
            out.append(
                (
                    "scale: driver memory sub-linear (MB per added trial not growing)",
                    last <= first,
                    f"{first:.2f} → {last:.2f} MB/trial",
                )
            )
        else:
            out.append(("scale: driver memory sub-linear", None, "needs 3 sizes (full run)"))
    probe = result.get("trainable")
    if probe:
        out.append(("trainable ≥ 2 × DataLoader loop", probe["speedup"] >= 2, f"{probe['speedup']:.1f}×"))
    return out


def footer(rows: list[tuple[str, bool | None, str]]) -> str:
    mark = {True: "met", False: "NOT met", None: "not measured"}
    return "\n".join(f"- {mark[met]}: {name} ({figures})" for name, met, figures in rows)
