"""The bias-vs-variance rule: is the winner short of the target on the training set, or short of its
training accuracy on the dev set? The knobs named are the ones the trainable has."""

from __future__ import annotations

from typing import Any

import pandas as pd

from search_spaces import Space
from sweep.analysis.advice import Advice, format_value, plain_value
from sweep.store import schema as S

GAP = 0.02  # two points of accuracy: a bias or variance gap below this is not worth acting on

# The mlp trainable's knobs for each diagnosis, with a range to try when the spec holds them fixed.
VARIANCE_KNOBS: dict[str, dict[str, Any]] = {
    "l2": {"loguniform": [1e-5, 1e-2]},
    "keep_prob": {"uniform": [0.5, 1.0]},
}
BIAS_KNOBS: dict[str, dict[str, Any]] = {
    "hidden_units": {"int": [64, 512]},
    "layers": {"int": [1, 4]},
    "epochs": {},
}


def bias_variance_advice(
    winner: pd.Series,
    history: pd.DataFrame,
    metric: str,
    space: Space,
    target_accuracy: float | None = None,
    knobs: set[str] | None = None,
) -> list[Advice]:
    """The winner's avoidable bias (target − train accuracy) and variance (train − dev accuracy).

    Read at the winner's best epoch of `metric`. Without a target the proxy is 100% accuracy, and the
    advice says so. A gap under :data:`GAP` is not acted on.

    Args:
        winner: the best trial's row of trials.csv.
        history: every trial's per-epoch rows (``train_accuracy`` and ``dev_accuracy`` needed).
        metric: the sweep's metric (the epoch is chosen by it).
        space: the spec's space, to say whether a knob is tuned, held, or absent.
        target_accuracy: the human-level proxy, from the spec.
        knobs: config keys the trainable reads (None: the built-in mlp's).

    Example:
        >>> history = pd.DataFrame({"plan_id": ["a"], "epoch": [20], "train_accuracy": [1.0],
        ...                         "dev_accuracy": [0.9]})
        >>> winner = pd.Series({"plan_id": "a", "status": "completed"})
        >>> bias_variance_advice(winner, history, "dev_accuracy", Space())[0].kind
        'variance'
    """
    plan_id = winner.get(S.PLAN_ID)
    if history.empty or "train_accuracy" not in history or "dev_accuracy" not in history:
        return [
            Advice(
                "skipped",
                "bias vs variance: not judged (no train_accuracy and dev_accuracy per epoch in history.csv: "
                "report both from the trainable each epoch)",
            )
        ]
    rows = history[history[S.PLAN_ID] == plan_id]
    key = metric if metric in rows else "dev_accuracy"
    values = pd.to_numeric(rows[key], errors="coerce")
    if rows.empty or values.isna().all():
        return [Advice("skipped", f"bias vs variance: not judged (no epochs recorded for the winner {plan_id})")]
    row = rows.loc[values.idxmax() if "loss" not in key else values.idxmin()]
    train, dev = float(row["train_accuracy"]), float(row["dev_accuracy"])
    target = 1.0 if target_accuracy is None else float(target_accuracy)
    proxy = "target_accuracy" if target_accuracy is not None else "no target_accuracy in the spec, so 100%"
    bias, variance = target - train, train - dev
    figures = (
        f"winner {plan_id} at epoch {plain_value(row.get(S.EPOCH))}: train accuracy {train:.4f}, dev {dev:.4f}, "
        f"target {target:.4f} ({proxy}): avoidable bias {bias:+.4f}, variance {variance:+.4f}"
    )
    status = str(winner.get(S.STATUS, ""))
    caveat = f" (the winner was {status}: its numbers are from fewer epochs)" if status == S.PRUNED else ""
    known = set(knobs) if knobs is not None else set(VARIANCE_KNOBS) | set(BIAS_KNOBS)
    if variance >= GAP and variance >= bias:
        tips = _knob_tips(VARIANCE_KNOBS, known, space, winner)
        return [Advice("variance", f"high variance: {figures}{caveat}; regularise: {tips}; or get more data")]
    if bias >= GAP:
        tips = _knob_tips(BIAS_KNOBS, known, space, winner)
        return [Advice("bias", f"high bias: {figures}{caveat}; fit the training set better: {tips}")]
    return [Advice("fit", f"neither bias nor variance above {GAP:.2f}: {figures}{caveat}")]


def _knob_tips(table: dict[str, dict[str, Any]], known: set[str], space: Space, winner: pd.Series) -> str:
    tips = []
    for name, suggestion in table.items():
        if name not in known and name not in space:
            continue
        param = space.get(name)
        if name == "epochs":
            current = winner.get("epochs", param.values[0] if param is not None and param.is_fixed else None)
            tips.append(
                f"train longer (epochs {format_value(plain_value(current))} → more)"
                if current is not None
                else "train longer"
            )
        elif param is not None and not param.is_fixed:
            tips.append(
                f"{name} (tuned over {param.range_text()}; winner {format_value(plain_value(winner.get(name)))})"
            )
        elif param is not None:
            tips.append(f"tune {name} (held at {param.range_text()}), e.g. {name}: {_entry(suggestion)}")
        else:
            tips.append(f"add {name}: {_entry(suggestion)}")
    return ", ".join(tips) if tips else "(the trainable names none of the usual knobs)"


def _entry(entry: dict[str, Any]) -> str:
    scale, bounds = next(iter(entry.items()))
    return f"{{{scale}: [{', '.join(format_value(b) for b in bounds)}]}}"
