"""The bias-vs-variance rule: is the winner short of the target on the training set, or short of its
training score on the dev set? Read from any pair of per-epoch metrics ``train_X`` and ``dev_X`` (or ``val_X``):
accuracy, a loss, a mean squared error. The knobs named are the ones the trainable has."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from search_spaces import Space
from sweep.analysis.advice import Advice, format_value, plain_value
from sweep.store import schema as S

GAP = 0.02  # two points of accuracy: a bias or variance gap below this is not worth acting on
GAP_SHARE = 0.05  # any other metric (a loss, in its own units): a gap under this share of the dev value is not acted on
DEV_PREFIXES = ("dev_", "val_")
LOWER_IS_BETTER = ("loss", "mse", "mae", "rmse", "error", "nll", "perplexity")

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


@dataclass(frozen=True)
class MetricPair:
    """A metric measured on the training set and on the dev set, and which way is better."""

    train: str  # train_mse
    dev: str  # val_mse
    higher_is_better: bool

    @property
    def quantity(self) -> str:
        return self.train.removeprefix("train_")

    @property
    def is_accuracy(self) -> bool:
        return self.quantity == "accuracy"


def find_pair(columns: Iterable[str], metric: str, mode: str = "max") -> MetricPair | None:
    """The train/dev pair to judge by: the spec's metric's own pair when it has one, else accuracy's, else the
    first ``train_X`` with a ``dev_X`` or ``val_X``. The metric's pair follows `mode`; another pair's direction
    is read from its name (a loss or an error is lower-better).

    Example:
        >>> find_pair(["epoch", "train_mse", "val_mse", "val_r2"], "val_mse", "min")
        MetricPair(train='train_mse', dev='val_mse', higher_is_better=False)
        >>> find_pair(["train_loss", "dev_loss", "train_accuracy", "dev_accuracy"], "dev_f1", "max").train
        'train_accuracy'
        >>> find_pair(["train_loss", "test_loss"], "dev_accuracy") is None
        True
    """
    names = list(columns)
    pairs = [
        (name, prefix + name.removeprefix("train_"))
        for name in names
        if name.startswith("train_")
        for prefix in DEV_PREFIXES
        if prefix + name.removeprefix("train_") in names
    ]
    if not pairs:
        return None
    chosen = next((p for p in pairs if p[1] == metric), None) or next(
        (p for p in pairs if p[0] == "train_accuracy"), pairs[0]
    )
    if chosen[1] == metric:
        higher = mode == "max"
    else:
        higher = not any(word in chosen[0] for word in LOWER_IS_BETTER)
    return MetricPair(chosen[0], chosen[1], higher)


def bias_variance_advice(
    winner: pd.Series,
    history: pd.DataFrame,
    metric: str,
    space: Space,
    target_accuracy: float | None = None,
    knobs: set[str] | None = None,
    mode: str = "max",
    target_metric: float | None = None,
) -> list[Advice]:
    """The winner's avoidable bias (target to train) and variance (train to dev), in the pair's own units.

    Read at the winner's best epoch of `metric`, from the first pair :func:`find_pair` finds. The target (the
    human-level proxy) is `target_metric` for the spec's metric's own pair, `target_accuracy` for accuracy;
    without one, a perfect score: 100% accuracy, 1 for another higher-better metric, 0 for a loss. A gap under
    :data:`GAP` (accuracy) or :data:`GAP_SHARE` of the dev value (any other metric) is not acted on.

    Args:
        winner: the best trial's row of trials.csv.
        history: every trial's per-epoch rows (a ``train_X`` and ``dev_X``/``val_X`` pair needed).
        metric: the sweep's metric (the epoch is chosen by it).
        space: the spec's space, to say whether a knob is tuned, held, or absent.
        target_accuracy: the spec's `target_accuracy`, the proxy for an accuracy pair.
        knobs: config keys the trainable reads (None: the built-in mlp's).
        mode: the sweep's mode (`min` for a loss).
        target_metric: the spec's `target_metric`, the proxy in the units of `metric`.

    Example:
        >>> history = pd.DataFrame({"plan_id": ["a"], "epoch": [20], "train_accuracy": [1.0],
        ...                         "dev_accuracy": [0.9]})
        >>> winner = pd.Series({"plan_id": "a", "status": "completed"})
        >>> bias_variance_advice(winner, history, "dev_accuracy", Space())[0].kind
        'variance'
    """
    plan_id = winner.get(S.PLAN_ID)
    pair = find_pair(history.columns, metric, mode) if not history.empty else None
    if pair is None:
        return [
            Advice(
                "skipped",
                "bias vs variance: not judged (no pair of per-epoch metrics train_X and dev_X or val_X in "
                "history.csv, e.g. train_accuracy and dev_accuracy, or train_loss and val_loss: report both "
                "from the trainable each epoch)",
            )
        ]
    rows = history[history[S.PLAN_ID] == plan_id]
    key = metric if metric in rows else pair.dev
    values = pd.to_numeric(rows[key], errors="coerce")
    if rows.empty or values.isna().all():
        return [Advice("skipped", f"bias vs variance: not judged (no epochs recorded for the winner {plan_id})")]
    key_higher = (mode == "max") if key == metric else pair.higher_is_better
    row = rows.loc[values.idxmax() if key_higher else values.idxmin()]
    train, dev = float(row[pair.train]), float(row[pair.dev])
    target, proxy = _target(pair, metric, target_accuracy, target_metric)
    sign = 1.0 if pair.higher_is_better else -1.0
    bias, variance = sign * (target - train), sign * (train - dev)
    dev_word = pair.dev.split("_", 1)[0]
    figures = (
        f"winner {plan_id} at epoch {plain_value(row.get(S.EPOCH))}: train {pair.quantity} {train:.4f}, "
        f"{dev_word} {dev:.4f}, target {target:.4f} ({proxy}): avoidable bias {bias:+.4f}, variance {variance:+.4f}"
    )
    status = str(winner.get(S.STATUS, ""))
    caveat = f" (the winner was {status}: its numbers are from fewer epochs)" if status == S.PRUNED else ""
    known = set(knobs) if knobs is not None else set(VARIANCE_KNOBS) | set(BIAS_KNOBS)
    gap, gap_text = (
        (GAP, f"{GAP:.2f}") if pair.is_accuracy else (GAP_SHARE * abs(dev), f"{GAP_SHARE:.0%} of {dev_word}")
    )
    if variance >= gap and variance >= bias:
        tips = _knob_tips(VARIANCE_KNOBS, known, space, winner)
        return [Advice("variance", f"high variance: {figures}{caveat}; regularise: {tips}; or get more data")]
    if bias >= gap:
        tips = _knob_tips(BIAS_KNOBS, known, space, winner)
        return [Advice("bias", f"high bias: {figures}{caveat}; fit the training set better: {tips}")]
    return [Advice("fit", f"neither bias nor variance above {gap_text}: {figures}{caveat}")]


def _target(
    pair: MetricPair, metric: str, target_accuracy: float | None, target_metric: float | None
) -> tuple[float, str]:
    """The human-level proxy for the pair and how it was chosen."""
    if target_metric is not None and pair.dev == metric:
        return float(target_metric), "target_metric"
    if pair.is_accuracy:
        if target_accuracy is not None:
            return float(target_accuracy), "target_accuracy"
        return 1.0, "no target_accuracy in the spec, so 100%"
    perfect = 1.0 if pair.higher_is_better else 0.0
    if pair.dev == metric:
        return perfect, f"no target_metric in the spec, so a perfect {perfect:g}"
    return perfect, f"the spec's target_metric is for {metric}, so a perfect {perfect:g}"


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
