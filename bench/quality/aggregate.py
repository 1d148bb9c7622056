"""From runs' timestamped reports to the figures: best-so-far curves, their values at budget fractions, and
mean ± 95 % t-intervals over seeds.

Only reports made within the budget count (t ≤ budget, seconds since the run's process started). Epochs
trained = reports within the budget (every runner reports once per epoch trained).

Example:
    >>> trials = [{"id": "a", "config": {}, "reports": [[1.0, 1, 0.4], [3.0, 2, 0.6]]}]
    >>> best_so_far(trials, [0.5, 1.0, 2.0, 3.0]).tolist()
    [nan, 0.4, 0.4, 0.6]
    >>> mean, half = t_interval([0.6, 0.7, 0.8]); round(mean, 3), round(half, 3)
    (0.7, 0.248)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bench import report

FRACTIONS = (0.25, 0.5, 1.0)


def reports_within(trials: list[dict[str, Any]], budget_s: float) -> np.ndarray:
    """All reports within the budget as rows (t, epoch, dev_accuracy), in time order."""
    rows = [r for trial in trials for r in trial["reports"] if r[0] <= budget_s]
    table = np.array(rows, dtype=float).reshape(-1, 3)
    return table[np.argsort(table[:, 0], kind="stable")]


def best_so_far(trials: list[dict[str, Any]], times: Sequence[float] | np.ndarray) -> np.ndarray:
    """Best dev accuracy reported by each time in `times` (NaN before the first report)."""
    table = reports_within(trials, max(times) if len(times) else 0.0)
    if not len(table):
        return np.full(len(times), np.nan)
    running = np.maximum.accumulate(table[:, 2])
    index = np.searchsorted(table[:, 0], np.asarray(times, dtype=float), side="right") - 1
    return np.where(index >= 0, running[np.clip(index, 0, None)], np.nan)


def best_by_epochs(trials: list[dict[str, Any]], budget_s: float, epochs: Sequence[float] | np.ndarray) -> np.ndarray:
    """Best dev accuracy after each count of epochs trained (all trials together, in time order)."""
    table = reports_within(trials, budget_s)
    running = np.maximum.accumulate(table[:, 2]) if len(table) else np.array([])
    out = np.full(len(epochs), np.nan)
    for i, count in enumerate(epochs):
        if 1 <= int(count) <= len(running):  # NaN past the epochs this run trained
            out[i] = running[int(count) - 1]
    return out


def mean_band(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over seeds (rows) and the 95 % t half-width (:func:`t_interval`) at each point; NaN where any seed has
    no value yet."""
    columns = np.atleast_2d(np.asarray(curves, dtype=float)).T
    bands = [(math.nan, math.nan) if np.isnan(column).any() else t_interval(column) for column in columns]
    return np.array([mean for mean, _ in bands]), np.array([half for _, half in bands])


def first_reaching(times: Sequence[float] | np.ndarray, curve: np.ndarray, mark: float) -> float | None:
    """The first time (or epoch count) at which `curve` reaches `mark`; None if it never does."""
    hits = np.nonzero(np.nan_to_num(curve, nan=-np.inf) >= mark)[0]
    return float(times[hits[0]]) if len(hits) else None


def run_figures(trials: list[dict[str, Any]], budget_s: float) -> dict[str, Any]:
    """One run's figures: best dev at each budget fraction, trials started and epochs trained in the budget,
    and the seconds an epoch took (:func:`epoch_seconds`)."""
    table = reports_within(trials, budget_s)
    at = best_so_far(trials, [f * budget_s for f in FRACTIONS])
    started = sum(1 for trial in trials if any(r[0] <= budget_s for r in trial["reports"]))
    return {
        "best_dev": {f"{int(f * 100)}%": _num(v) for f, v in zip(FRACTIONS, at, strict=True)},
        "trials": started,
        "epochs": int(len(table)),
        "first_report_s": _num(table[0, 0]) if len(table) else None,
        "epoch_seconds": epoch_seconds(trials, budget_s),
    }


def epoch_seconds(trials: list[dict[str, Any]], budget_s: float) -> float | None:
    """Seconds per epoch of the configs a method chose: each trial's time from its first report to its last
    within the budget, over the epochs between, pooled (so a trial weighs by its epochs); None without a trial
    that reported at two times. A search that trains fewer epochs in the same budget either idles or picks
    slower configs (smaller mini-batches, bigger models): this tells which. Reports come in batches, so the
    first one may hold several epochs: the figure is the pace between reports, not a single epoch's time.

    Example:
        >>> epoch_seconds([{"reports": [[2.0, 1, 0.3], [4.0, 2, 0.5], [12.0, 4, 0.9]]},
        ...                {"reports": [[3.0, 1, 0.4], [3.0, 2, 0.4]]}], budget_s=20.0)
        3.3333333333333335
    """
    seconds = epochs = 0.0
    for trial in trials:
        within = [r for r in trial["reports"] if r[0] <= budget_s]
        if len(within) >= 2 and within[-1][0] > within[0][0]:
            seconds += within[-1][0] - within[0][0]
            epochs += within[-1][1] - within[0][1]
    return seconds / epochs if epochs > 0 else None


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """(mean, half-width of the two-sided t confidence interval); the half-width is NaN for one value."""
    from scipy import stats

    data = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if not len(data):
        return math.nan, math.nan
    mean = float(data.mean())
    if len(data) < 2:
        return mean, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, len(data) - 1) * data.std(ddof=1) / math.sqrt(len(data)))
    return mean, half


def welch_difference(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """(mean(a) − mean(b), half-width of Welch's t-interval of that difference); NaN half-width if n < 2."""
    from scipy import stats

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = float(x.mean() - y.mean()) if len(x) and len(y) else math.nan
    if len(x) < 2 or len(y) < 2:
        return diff, math.nan
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0:
        return diff, 0.0
    dof = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    return diff, float(stats.t.ppf(0.5 + confidence / 2, dof) * se)


def paired_difference(a: dict[int, float], b: dict[int, float], confidence: float = 0.95) -> tuple[float, float, int]:
    """Over the seeds both ran: (mean of a − b per seed, half-width of its t-interval, how many seeds).

    Two methods that share each seed's luck (the same first draws, the same baseline) are compared seed by
    seed, so what the seed decides for both cancels out of the interval; NaN half-width under 2 seeds.

    Example:
        >>> diff, half, n = paired_difference({0: 0.70, 1: 0.72, 2: 0.69}, {0: 0.69, 1: 0.71, 2: 0.67, 3: 0.9})
        >>> round(diff, 4), round(half, 4), n
        (0.0133, 0.0143, 3)
    """
    seeds = sorted(set(a) & set(b))
    diff, half = t_interval([a[s] - b[s] for s in seeds], confidence)
    return diff, half, len(seeds)


def summarize(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per method: mean and CI half-width over seeds of each figure, with the per-seed values."""

    def interval(values: list[float]) -> dict[str, Any]:
        mean, half = t_interval(values)
        return {"mean": _num(mean), "ci95": _num(half), "values": values}

    def figure(name: str, run: dict[str, Any]) -> Any:
        if name == "test_accuracy":
            return run.get(name)
        # .get: results written before a figure existed still pool
        return run["figures"]["best_dev"][name[9:]] if name.startswith("best_dev_") else run["figures"].get(name)

    names = ("best_dev_25%", "best_dev_50%", "best_dev_100%", "test_accuracy", "trials", "epochs", "epoch_seconds")
    figures: dict[str, Callable[[dict[str, Any]], Any] | None] = {n: functools.partial(figure, n) for n in names}
    out = report.summarize(runs, "method", figures, interval)
    for key, row in out.items():  # and the runs as the table shows them: `3 (1 failed, 1 without a model ...)`
        row["no_model"] = sum(1 for r in runs if r["method"] == key and r.get("ok") and not r.get("found_model", True))
        extra = [f"{row['failed']} failed"] * bool(row["failed"])
        extra += [f"{row['no_model']} without a model in the budget"] * bool(row["no_model"])
        row["runs_shown"] = f"{row['runs']}" + (f" ({', '.join(extra)})" if extra else "")
    return out


def _num(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value
