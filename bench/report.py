"""The markdown table, and which of the issue's targets this run meets."""

from __future__ import annotations

from typing import Any

from bench.analysis import OPTUNA, RAY, SEQUENTIAL, SWEEP

COLUMNS = (
    ("runner", "runner", "{}"),
    ("wall", "wall s", "{:.1f}"),
    ("ray_init", "ray.init s", "{:.1f}"),
    ("trials", "trials", "{:.0f}"),
    ("epochs", "epochs", "{:.0f}"),
    ("train_seconds", "Σ train s", "{:.1f}"),
    ("efficiency", "efficiency", "{:.2f}"),
    ("cpu_percent", "CPU %", "{:.0f}"),
    ("wall_over_ideal", "wall/ideal", "{:.1f}"),
    ("best_dev_accuracy", "best dev acc", "{:.4f}"),
    ("wall_vs_sweep", "wall/sweep", "{:.2f}"),
    ("driver_maxrss_mb", "driver MB", "{:.0f}"),
)


def _cell(value: Any, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


def table(summary: dict[str, dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(title for _, title, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for runner, row in summary.items():
        row = {"runner": runner, **row}
        lines.append("| " + " | ".join(_cell(row.get(key), fmt) for key, _, fmt in COLUMNS) + " |")
    return "\n".join(lines)


def _ratio(summary: dict[str, Any], runner: str, key: str = "wall_vs_sweep") -> float | None:
    """How many times sweep's wall the other runner took (median of per-repetition ratios)."""
    value = summary.get(runner, {}).get(key)
    return value


def targets(result: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """(target, met? (None: not measured), the figures) for each of the issue's targets."""
    out: list[tuple[str, bool | None, str]] = []
    w = result["workloads"]
    if "W1" in w:
        s = w["W1"]["summary"]
        optuna = _ratio(s, OPTUNA)
        ray = _ratio(s, RAY)
        out.append(
            (
                "W1 sweep wall ≤ 1.0 × Optuna",
                None if optuna is None else 1 / optuna <= 1.0,
                "n/a" if optuna is None else f"sweep = {1 / optuna:.2f} × Optuna",
            )
        )
        out.append(
            (
                "W1 sweep wall ≤ 0.1 × Ray defaults",
                None if ray is None else 1 / ray <= 0.1,
                "n/a" if ray is None else f"sweep = {1 / ray:.2f} × Ray defaults",
            )
        )
        best, ref = s.get(SWEEP, {}).get("best_dev_accuracy"), s.get(SEQUENTIAL, {}).get("best_dev_accuracy")
        met = None if best is None or ref is None else abs(best - ref) < 1e-9
        out.append(("W1 sweep best dev acc = full-budget reference's", met, f"{best} vs {ref}"))
    if "W2" in w:
        s = w["W2"]["summary"]
        eff = s.get(SWEEP, {}).get("efficiency")
        out.append(
            (
                "W2 sweep efficiency ≥ 0.90",
                None if eff is None else eff >= 0.90,
                "n/a" if eff is None else f"{eff:.2f}",
            )
        )
        optuna = _ratio(s, OPTUNA)
        out.append(
            (
                "W2 sweep wall ≤ 0.8 × Optuna",
                None if optuna is None else 1 / optuna <= 0.8,
                "n/a" if optuna is None else f"sweep = {1 / optuna:.2f} × Optuna",
            )
        )
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
