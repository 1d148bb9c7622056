"""The issue's targets, evaluated on one bench result (same run, same budget).

- The default recipe (coarse to fine) ends the budget ahead of sweep's own 1-round random search: the 95 %
  t-interval of the difference of final best dev accuracies lies above 0. The two are compared seed by seed
  (paired): at a seed both train the same first draws and the same baseline, so the interval holds what the
  later rounds add, not which draws the seed dealt (Welch's unpaired interval is reported beside it).
- ... and at least level with Optuna TPE: that interval (default − Optuna TPE) reaches 0 or above.
- The model-guided default ends ahead of version 2's default (the same rounds drawn up front, ``sweep-v2``) and
  ahead of Optuna TPE: the paired interval over the seeds both ran lies above 0 (pairing a peer by seed shares no
  draws, so that interval is about as wide as Welch's).
- Sweep's default reaches 90 % of the best dev accuracy any run found, on its mean best-so-far curve, in at
  most 0.8 × the time the fastest peer (another tool: Optuna TPE, Optuna random, Ray Tune) takes.

Example:
    >>> evaluate({}, {}, budget_s=10.0)[0]["met"] is None
    True
"""

from __future__ import annotations

import math
from typing import Any

from bench.quality.aggregate import paired_difference, welch_difference
from bench.quality.methods import DEFAULT, PEERS


def evaluate(
    summary: dict[str, Any], mark_times: dict[str, Any], budget_s: float, runs: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Each target as ``{"target", "met" (True/False/None = not measurable), "figures"}``; `runs` (the
    result's) pair the default with 1-round random, version 2's default and Optuna TPE seed by seed."""
    finals, seeds = {key: row["best_dev_100%"]["values"] for key, row in summary.items()}, by_seed(runs or [])
    out = [
        _compare(finals, DEFAULT, "sweep-random", "ahead", seeds),
        _compare(finals, DEFAULT, "optuna-tpe", "level"),
        _compare(finals, DEFAULT, "sweep-v2", "ahead", seeds),
        _compare(finals, DEFAULT, "optuna-tpe", "ahead", seeds),
    ]
    target = "sweep default reaches 90% of the best accuracy found in ≤ 0.8 × the fastest peer's time"
    mine = mark_times.get("times", {}).get(DEFAULT)
    peers = {k: v for k, v in mark_times.get("times", {}).items() if k in PEERS and v is not None}
    if DEFAULT not in mark_times.get("times", {}) or not peers:
        out.append({"target": target, "met": None, "figures": "needs the default and at least one peer"})
    else:
        fastest = min(peers, key=lambda k: peers[k])
        met = mine is not None and mine <= 0.8 * peers[fastest]
        shown = "never" if mine is None else f"{mine:.1f} s"
        out.append({"target": target, "met": met, "figures": (
            f"mark {mark_times['mark']:.4f}: default {shown}, fastest peer {fastest} {peers[fastest]:.1f} s "
            f"(0.8 × = {0.8 * peers[fastest]:.1f} s; budget {budget_s:g} s)")})  # fmt: skip
    return out


def by_seed(runs: list[dict[str, Any]]) -> dict[str, dict[int, float]]:
    """Per method, each seed's final best dev accuracy (runs that found a model in the budget).

    Example:
        >>> by_seed([{"method": "m", "seed": 3, "ok": True, "figures": {"best_dev": {"100%": 0.7}}}])
        {'m': {3: 0.7}}
    """
    out: dict[str, dict[int, float]] = {}
    for run in runs:
        final = (run.get("figures") or {}).get("best_dev", {}).get("100%") if run.get("ok") else None
        if final is not None:
            out.setdefault(run["method"], {})[int(run["seed"])] = float(final)
    return out


def _compare(
    finals: dict[str, list[float]], a: str, b: str, kind: str, seeds: dict[str, dict[int, float]] | None = None
) -> dict[str, Any]:
    """`a` against `b`: Welch's interval, or the paired one over the seeds both ran when `seeds` holds 2+."""
    word = "ahead of" if kind == "ahead" else "at least level with"
    target = f"{a} final mean best dev {word} {b}"
    if not finals.get(a) or not finals.get(b):
        return {"target": target, "met": None, "figures": "not run"}
    diff, half = welch_difference(finals[a], finals[b])
    figures = f"difference {diff:+.4f} ± {half:.4f} (95% Welch t)"
    if seeds and len(set(seeds.get(a, {})) & set(seeds.get(b, {}))) >= 2:
        welch = figures
        diff, half, n = paired_difference(seeds[a], seeds[b])
        figures = f"difference {diff:+.4f} ± {half:.4f} (95% paired t over {n} seeds; unpaired: {welch})"
    if math.isnan(half):
        return {"target": target, "met": None, "figures": f"difference {diff:+.4f}; one seed gives no interval"}
    met = diff - half > 0 if kind == "ahead" else diff + half >= 0
    return {"target": target, "met": met, "figures": figures}
