"""``python -m bench.quality.zoom_replay RESULTS.json``: where would each way of zooming have sent round 2?

A quality run cannot rerun a round with another zoom, but it holds thousands of trained configs. For each run
of the default recipe, this takes the round-1 results known when round 2 was planned (every report before
round 2's first), plans round 2 with each way of zooming (the sweep's own code: the whole space again, one box
around the best, regions around the best 1 or 3, and 3 with the default exploring share), and scores the drawn
configs with a random forest fitted on the full-length trials of every *other* seed (all methods), so no run
judges its own zoom. It prints, per way, the mean predicted dev accuracy of what round 2 would train and the
share predicted at or above a bar (the 75th percentile of full-length trials). A surrogate's numbers say where
a round samples, not what it finds: the bench itself (``./dev bench quality``) decides.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from search_spaces import Space, parse_spec
from sweep.run.rounds import Outcome, RoundSlot, plan_configs, round_layout

DEFAULT_METHOD = "sweep-default"
# way of zooming: (rounds.regions, rounds.explore); None = no zoom
WAYS: dict[str, tuple[int, float] | None] = {
    "whole space": None,
    "one box (regions: 0)": (0, 0.0),
    "regions: 1": (1, 0.0),
    "regions: 3": (3, 0.0),
    "regions: 3, explore 1/3 (default)": (3, 1 / 3),
}


def features(space: Space, config: dict[str, Any]) -> list[float]:
    """A config as numbers: each tuned param's own coordinate, a choice's index among its values."""
    out = []
    for param in space.tuned():
        value = config.get(param.name, param.default)
        out.append(float(param.coord(value)) if param.is_numeric else float(list(param.values).index(value)))
    return out


def full_length(runs: list[dict[str, Any]], epochs: int) -> list[tuple[int, dict[str, Any], float]]:
    """(seed, config, best dev) of every trial, any method, that trained at least 90 % of the epoch cap."""
    rows = []
    for run in runs:
        for trial in run.get("trials_detail") or []:
            reports = trial["reports"]
            if reports and reports[-1][1] >= 0.9 * epochs:
                rows.append((int(run["seed"]), trial["config"], max(r[2] for r in reports)))
    return rows


def round_one(run: dict[str, Any], names: list[str]) -> list[Outcome]:
    """Round 1's trials with their best dev before round 2's first report (none when round 2 never reported)."""
    trials = run.get("trials_detail") or []
    later = [r[0] for t in trials if not t["id"].startswith("r1-") for r in t["reports"]]
    if not later:
        return []
    cut = min(later)
    outcomes = []
    for trial in trials:
        seen = [r[2] for r in trial["reports"] if r[0] < cut]
        if trial["id"].startswith("r1-") and seen:
            config = {k: v for k, v in trial["config"].items() if k in names}
            outcomes.append(Outcome(trial["id"], 1, None, config, max(seen)))
    return outcomes


def replay(data: dict[str, Any], samples: int = 300) -> dict[str, dict[str, float]]:
    """Per way of zooming: mean predicted dev of round 2's configs and the share at or above the bar."""
    from sklearn.ensemble import RandomForestRegressor

    spec = parse_spec(data["spec"])
    base = spec.space
    rows = full_length(data["runs"], int(data["mode"]["epochs"]))
    if len(rows) < 20:
        raise SystemExit(f"zoom_replay: {len(rows)} full-length trials in the results; it needs at least 20")
    seeds = np.array([s for s, _, _ in rows])
    x = np.array([features(base, c) for _, c, _ in rows])
    y = np.array([v for _, _, v in rows])
    bar = float(np.quantile(y, 0.75))
    scores: dict[str, list[np.ndarray]] = {way: [] for way in WAYS}
    for run in data["runs"]:
        outcomes = round_one(run, base.names) if run["method"] == DEFAULT_METHOD else []
        others = seeds != int(run["seed"])
        if not outcomes or others.sum() < 20:
            continue
        forest = RandomForestRegressor(200, min_samples_leaf=5, random_state=0).fit(x[others], y[others])
        for name, way in WAYS.items():
            configs = _round_two(spec, base, outcomes, way, samples)
            scores[name].append(forest.predict(np.array([features(base, c) for c in configs])))
    if not scores[next(iter(WAYS))]:
        raise SystemExit(f"zoom_replay: no {DEFAULT_METHOD} run with a round 2 and other seeds to learn from")
    return {
        way: {"mean": float(np.mean(np.concatenate(p))), "share": float(np.mean(np.concatenate(p) >= bar)), "bar": bar}
        for way, p in scores.items()
    }


def _round_two(
    spec: Any, base: Space, outcomes: list[Outcome], way: tuple[int, float] | None, samples: int
) -> list[dict]:
    """Round 2's configs as the searcher plans them (:func:`round_layout`, then :func:`plan_configs`)."""
    if way is not None:
        r = spec.rounds
        rounds = {"top_fraction": r.top_fraction, "margin": r.margin, "expand": r.expand, "count": 2}
        spec = parse_spec({**spec.to_dict(), "rounds": {**rounds, "regions": way[0], "explore": way[1]}})
    slot = RoundSlot(2, None, zoom=way is not None, samples=samples)
    space, regions, wide = round_layout(slot, base, base, outcomes, spec)
    return plan_configs(spec, space, slot, regions, wide)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality.zoom_replay", description=__doc__.split("\n")[0])
    parser.add_argument("results", type=Path, help="a bench/results/quality-*.json of a full or quick run")
    parser.add_argument("--samples", type=int, default=300, help="configs drawn per way and run")
    args = parser.parse_args(argv)
    table = replay(json.loads(args.results.read_text()), args.samples)
    bar = next(iter(table.values()))["bar"]
    print(f"{'way of zooming':<24} {'mean predicted dev':>18} {f'share ≥ {bar:.3f}':>14}")
    for way, row in table.items():
        print(f"{way:<24} {row['mean']:>18.4f} {row['share']:>14.1%}")
    return 0 if all(math.isfinite(r["mean"]) for r in table.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
