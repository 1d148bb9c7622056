"""The issue's targets, evaluated on one bench result (same run, same budget).

- The default recipe (coarse to fine) ends the budget ahead of sweep's own 1-round random search: the Welch
  95 % t-interval of the difference of mean final best dev accuracies lies above 0.
- ... and at least level with Optuna TPE: that interval (default − Optuna TPE) reaches 0 or above.
- Sweep's default reaches 90 % of the best dev accuracy any run found, on its mean best-so-far curve, in at
  most 0.8 × the time the fastest peer (another tool: Optuna TPE, Optuna random, Ray Tune) takes.

Example:
    >>> evaluate({}, {}, budget_s=10.0)[0]["met"] is None
    True
"""

from __future__ import annotations

import math
from typing import Any

from bench.quality.aggregate import welch_difference
from bench.quality.methods import DEFAULT, PEERS


def evaluate(summary: dict[str, Any], mark_times: dict[str, Any], budget_s: float) -> list[dict[str, Any]]:
    """Each target as ``{"target", "met" (True/False/None = not measurable), "figures"}``."""
    finals = {key: row["best_dev_100%"]["values"] for key, row in summary.items()}
    out = [
        _compare(finals, DEFAULT, "sweep-random", "ahead"),
        _compare(finals, DEFAULT, "optuna-tpe", "level"),
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


def _compare(finals: dict[str, list[float]], a: str, b: str, kind: str) -> dict[str, Any]:
    word = "ahead of" if kind == "ahead" else "at least level with"
    target = f"{a} final mean best dev {word} {b}"
    if not finals.get(a) or not finals.get(b):
        return {"target": target, "met": None, "figures": "not run"}
    diff, half = welch_difference(finals[a], finals[b])
    if math.isnan(half):
        return {"target": target, "met": None, "figures": f"difference {diff:+.4f}; one seed gives no interval"}
    met = diff - half > 0 if kind == "ahead" else diff + half >= 0
    return {"target": target, "met": met, "figures": f"difference {diff:+.4f} ± {half:.4f} (95% Welch t)"}
