"""The bench's figures from its runs: mean regret curves, mean ranks at each budget, speed-ups over random search."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import rankdata

Curves = dict[str, dict[str, list[list[float]]]]  # method → task → one regret curve per seed


def mean_curve(curves: list[list[float]]) -> np.ndarray:
    """The mean regret after each evaluation over seeds (a run cut short holds its last incumbent)."""
    length = max(len(c) for c in curves)
    padded = np.array([c + [c[-1]] * (length - len(c)) for c in curves])
    return padded.mean(axis=0)


def final_regret(curves: Curves, method: str, task: str) -> float:
    return float(mean_curve(curves[method][task])[-1])


def mean_ranks(curves: Curves, tasks: list[str]) -> dict[str, float]:
    """Each method's rank by final mean regret on each task (1 = best, ties share), averaged over tasks."""
    methods = sorted(curves)
    ranks = np.array([rankdata([final_regret(curves, m, t) for m in methods]) for t in tasks])
    return {m: float(ranks[:, i].mean()) for i, m in enumerate(methods)}


def wins(curves: Curves, method: str, peer: str, tasks: list[str]) -> list[str]:
    """The tasks where `method` ends with a lower mean regret than `peer`."""
    return [t for t in tasks if final_regret(curves, method, t) < final_regret(curves, peer, t)]


def evaluations_to_reach(curve: np.ndarray, target: float) -> float:
    """The first evaluation (1-based) at which a mean regret curve is at or below `target`; inf if never."""
    hit = np.nonzero(curve <= target + 1e-12)[0]
    return float(hit[0] + 1) if hit.size else math.inf


def speedups(curves: Curves, reference: str, tasks: list[str]) -> dict[str, dict[str, float]]:
    """method → task → how many times fewer evaluations it needs than `reference` takes in all to reach
    `reference`'s final mean regret (the budget / the evaluations the method needs; 0 if it never does)."""
    out: dict[str, dict[str, float]] = {}
    for method in curves:
        out[method] = {}
        for task in tasks:
            ref = mean_curve(curves[reference][task])
            needed = evaluations_to_reach(mean_curve(curves[method][task]), float(ref[-1]))
            out[method][task] = 0.0 if math.isinf(needed) else len(ref) / needed
    return out


def summary(curves_by_budget: dict[int, Curves], tasks: list[str], reference: str) -> dict[str, Any]:
    """Ranks at every budget, wins against every peer and speed-ups at the largest budget (none without a run of
    `reference`, the yardstick)."""
    largest = max(curves_by_budget)
    final = curves_by_budget[largest]
    speed = speedups(final, reference, tasks) if reference in final else {}
    return {
        "ranks": {str(b): mean_ranks(c, tasks) for b, c in sorted(curves_by_budget.items())},
        "final_regret": {m: {t: final_regret(final, m, t) for t in tasks} for m in final},
        "speedup": speed,
        "median_speedup": {m: float(np.median(list(v.values()))) for m, v in speed.items()},
    }
