"""Re-tune occasionally: a new sweep's round 1 re-trains an earlier sweep's best configs (`--warm-start DIR`).

The course's advice to re-test hyperparameters when the data or the hardware change. The earlier sweep's top
configs are projected onto the new space: each tuned parameter clipped to its new range (snapped to its
scale's levels), a value a choice no longer offers replaced by the new space's baseline value, a parameter the
old sweep did not have set to the baseline, and held parameters at their new values; each change is noted.
They replace the last of round 1's random draws (the baseline stays first), so the round's size is unchanged
and later rounds zoom on whichever trials win, old or new. The summary says whether the old winner still wins.

Pure functions here; the sweep directory keeps the plan in ``warm-start.json`` for the searcher (which
merges it when it plans round 1, :func:`merge_round_one`) and for the summary (:func:`warm_start_line`).

Example:
    >>> from search_spaces import Space
    >>> space = Space.from_dict({"lr": {"loguniform": [1e-3, 0.1]}, "optimizer": "adam"})
    >>> config, notes = project({"lr": 0.5, "optimizer": "momentum", "momentum": 0.9}, space)
    >>> config
    {'lr': 0.1, 'optimizer': 'adam'}
    >>> for note in notes:
    ...     print(note)
    lr 0.5 → 0.1 (clipped to [0.001, 0.1])
    optimizer momentum → adam (held in the new space)
    momentum dropped (not in the new space)
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from search_spaces import Param, Space, baseline_config
from sweep.store import schema as S
from sweep.store.layout import SPEC_FILE, TRIALS_FILE, SweepDir
from sweep.store.ranking import rank_trials
from sweep.store.tables import missing, plain
from sweep_errors import SweepError

WARM_FILE = "warm-start.json"
DEFAULT_TOP = 3


@dataclass(frozen=True)
class WarmConfig:
    """One earlier config as the new sweep re-trains it.

    Attributes:
        source_plan: its plan id in the earlier sweep; rank: 1 for the earlier winner.
        metric: its best metric there; config: projected onto the new space; notes: what was moved.
    """

    source_plan: str
    rank: int
    metric: float
    config: dict[str, Any]
    notes: list[str]


def warm_start_configs(past: str | Path, space: Space, top: int = DEFAULT_TOP) -> list[WarmConfig]:
    """The earlier sweep's `top` configs (best first) projected onto `space`.

    Raises:
        SweepError: `past` is not a sweep directory, has no finished trial, or shares no tuned parameter
            with `space` (one line each, naming the fix).
    """
    root = Path(past).expanduser()
    directory = SweepDir(root)
    if not root.is_dir() or not directory.trials_csv.is_file() or not directory.spec_yaml.is_file():
        raise SweepError(
            f"--warm-start {past}: not a sweep directory (no {TRIALS_FILE} and {SPEC_FILE} in it): "
            "give a directory `sweep launch` wrote, e.g. sweeps/digits-momentum-20261122-120000"
        )
    from sweep.store.results import load

    result = load(root)
    ranked = result.ranked(usable=True)
    if ranked.empty:
        raise SweepError(f"--warm-start {past}: the sweep has no finished trial to start from")
    tuned = [p.name for p in space.tuned()]
    shared = [name for name in tuned if name in ranked.columns]
    if not shared:
        old = sorted(result.params) or sorted(c for c in ranked.columns if c not in S.RESERVED)
        raise SweepError(
            f"--warm-start {past}: its parameters ({', '.join(old) or 'none'}) share none with the new space's "
            f"tuned ones ({', '.join(tuned) or 'none'}): nothing to carry over; launch without --warm-start"
        )
    out = []
    for rank, (_, row) in enumerate(ranked.head(top).iterrows(), start=1):
        old_config = {k: _plain(v) for k, v in row.items() if k not in S.RESERVED and not missing(v)}
        config, notes = project(old_config, space)
        out.append(WarmConfig(str(row[S.PLAN_ID]), rank, float(row[S.BEST]), config, notes))
    return out


def project(config: dict[str, Any], space: Space) -> tuple[dict[str, Any], list[str]]:
    """`config` moved onto `space`, and a note for each value moved (see the module docstring)."""
    baseline = baseline_config(space)
    out: dict[str, Any] = {}
    notes: list[str] = []
    for name, param in space.items():
        if name not in config:
            out[name] = baseline[name]
            if not param.is_fixed:
                notes.append(f"{name} = {_show(baseline[name])} (new: the baseline value)")
            continue
        old = config[name]
        if param.is_fixed:
            out[name] = param.values[0]
            if _differs(old, param.values[0]):
                notes.append(f"{name} {_show(old)} → {_show(param.values[0])} (held in the new space)")
            continue
        moved = _onto(param, old, baseline[name])
        out[name] = moved
        if _differs(old, moved):
            why = f"clipped to {param.range_text()}" if param.is_numeric else f"not among {param.range_text()}"
            notes.append(f"{name} {_show(old)} → {_show(moved)} ({why})")
    notes += [f"{name} dropped (not in the new space)" for name in config if name not in space and name != "data"]
    return out, notes


def _onto(param: Param, value: Any, fallback: Any) -> Any:
    if not param.is_numeric:
        return value if any(not _differs(value, v) for v in param.values) else fallback
    try:
        number = float(value)
    except (TypeError, ValueError):
        return fallback
    low, high = (float(v) for v in param.extent())
    clipped = min(max(number, low), high)
    moved = param.from_coord(param.coord(clipped))  # int rounds, pow2 snaps to a level
    return _plain(moved)


def merge_round_one(
    configs: list[dict[str, Any]], warm: list[dict[str, Any]], leads_with_baseline: bool
) -> list[dict[str, Any]]:
    """Round 1's planned configs with the `warm` ones in place of its last draws, right after the baseline;
    plan ids renumbered in order, each config keeping the round's other keys (``data``).

    Example:
        >>> planned = [{"lr": 0.05, "plan_id": "r1-000"}, {"lr": 0.2, "plan_id": "r1-001"},
        ...            {"lr": 0.01, "plan_id": "r1-002"}]
        >>> merge_round_one(planned, [{"lr": 0.3}], leads_with_baseline=True)
        [{'lr': 0.05, 'plan_id': 'r1-000'}, {'lr': 0.3, 'plan_id': 'r1-001'}, {'lr': 0.2, 'plan_id': 'r1-002'}]
        >>> [c["lr"] for c in merge_round_one(planned, [{"lr": 0.2}], leads_with_baseline=True)]  # no twice
        [0.05, 0.2, 0.01]
    """
    if not warm or not configs:
        return configs
    keep_first = 1 if leads_with_baseline else 0
    room = max(0, len(configs) - keep_first)
    warm = warm[:room]
    extras = {k: v for k, v in configs[0].items() if k == "data"}
    # a draw that is one of the warm configs (the same seed draws the same configs) gives way to the next draw
    draws = [c for c in configs[keep_first:] if not any(_same(c, w) for w in warm)][: room - len(warm)]
    merged = configs[:keep_first] + [{**extras, **w} for w in warm] + draws
    ids = [c[S.PLAN_ID] for c in configs]
    return [{**{k: v for k, v in c.items() if k != S.PLAN_ID}, S.PLAN_ID: ids[i]} for i, c in enumerate(merged)]


def write_plan(root: Path, past: str | Path, warm: list[WarmConfig]) -> None:
    """Keep the warm configs in the sweep directory, for round 1's planning and for the summary."""
    data = {"source": str(past), "configs": [asdict(w) for w in warm]}
    (root / WARM_FILE).write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")


def read_plan(root: Path) -> dict[str, Any] | None:
    file = root / WARM_FILE
    return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None


def round_one_with_warm_start(
    root: Path, configs: list[dict[str, Any]], leads_with_baseline: bool
) -> list[dict[str, Any]]:
    """Round 1's configs merged with the directory's warm start (unchanged without one); each warm config's
    new plan id is recorded in the plan file."""
    plan = read_plan(root)
    if plan is None:
        return configs
    merged = merge_round_one(configs, [w["config"] for w in plan["configs"]], leads_with_baseline)
    first = 1 if leads_with_baseline else 0
    for index, warm in enumerate(plan["configs"][: max(0, len(merged) - first)]):
        warm["plan_id"] = merged[first + index][S.PLAN_ID]
    (root / WARM_FILE).write_text(json.dumps(plan, indent=1, default=str), encoding="utf-8")
    return merged


def warm_start_line(root: Path, trials: pd.DataFrame, mode: str) -> str | None:
    """Whether the earlier sweep's winner still wins, for the summary (None without a warm start).

    Example:
        >>> warm_start_line(Path("/nonexistent"), pd.DataFrame(), "max") is None
        True
    """
    plan = read_plan(root)
    if plan is None or trials.empty or S.BEST not in trials:
        return None
    old = next((w for w in plan["configs"] if w["rank"] == 1 and w.get("plan_id")), None)
    if old is None:
        return None
    metric = pd.to_numeric(trials[S.BEST], errors="coerce")
    ok = trials[metric.map(lambda v: isinstance(v, float) and math.isfinite(v))]
    if ok.empty:
        return None
    winner = rank_trials(ok, mode).iloc[0]  # the sweep's one ranking, as its summary names the winner
    mine = ok[ok[S.PLAN_ID].astype(str) == old["plan_id"]]
    head = f"warm start from {plan['source']}: the old winner {old['source_plan']} (re-trained here as {old['plan_id']}"
    if mine.empty:
        return f"{head}) has no result in this sweep"
    score = float(mine.iloc[0][S.BEST])
    if str(winner[S.PLAN_ID]) == old["plan_id"]:
        return f"{head}, {score:.4g}) still wins"
    carried = {w.get("plan_id") for w in plan["configs"]}
    source = "another carried-over config" if str(winner[S.PLAN_ID]) in carried else "a new config"
    return f"{head}, {score:.4g}) no longer wins: {winner[S.PLAN_ID]} ({source}) scores {float(winner[S.BEST]):.4g}"


def _same(config: dict[str, Any], warm: dict[str, Any]) -> bool:
    return all(not _differs(config.get(k), v) for k, v in warm.items())


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return not math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return str(a) != str(b)


def _show(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _plain(value: Any) -> Any:
    value = plain(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value
