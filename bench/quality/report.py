"""The markdown table of a quality-bench result and the lines under it (targets, notes)."""

from __future__ import annotations

from typing import Any

COLUMNS = (
    ("best_dev_25%", "best dev @25%", "{:.4f}"),
    ("best_dev_50%", "best dev @50%", "{:.4f}"),
    ("best_dev_100%", "best dev @100%", "{:.4f}"),
    ("test_accuracy", "winner's test acc", "{:.4f}"),
    ("trials", "trials", "{:.0f}"),
    ("epochs", "epochs", "{:.0f}"),
)


def cell(figure: dict[str, Any], fmt: str) -> str:
    """``0.6512 ± 0.0123`` (the 95 % t half-width), or ``0.6512`` for one seed, or ``–``.

    Example:
        >>> cell({"mean": 0.65, "ci95": 0.01}, "{:.3f}")
        '0.650 ± 0.010'
    """
    if figure.get("mean") is None:
        return "–"
    text = fmt.format(figure["mean"])
    return text if figure.get("ci95") is None else f"{text} ± {fmt.format(figure['ci95'])}"


def table(summary: dict[str, dict[str, Any]], labels: dict[str, str]) -> str:
    """One row per method: mean ± 95 % CI over seeds of each figure."""
    head = ["method", "runs", *(title for _, title, _ in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, row in summary.items():
        extra = [f"{row['failed']} failed"] if row["failed"] else []
        extra += [f"{row['no_model']} without a model in the budget"] if row.get("no_model") else []
        runs = f"{row['runs']}" + (f" ({', '.join(extra)})" if extra else "")
        cells = [labels.get(key, key), runs, *(cell(row[name], fmt) for name, _, fmt in COLUMNS)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets_text(targets: list[dict[str, Any]]) -> str:
    mark = {True: "met", False: "NOT met", None: "not measured"}
    return "\n".join(f"- {mark[t['met']]}: {t['target']} ({t['figures']})" for t in targets)
