"""What the search gained over the baseline: round 1's first trial, every parameter at its default."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from search_spaces import baseline_config
from sweep.store import schema as S
from sweep.store.damage import DamagedSweep, read_space_file
from sweep.store.layout import SweepDir
from sweep.store.plan_ids import plan_id
from sweep.store.results import SweepResult


def baseline_row(result: SweepResult) -> pd.Series | None:
    """The baseline trial's row, when the sweep trained one: `r1-000` holding round 1's baseline config (a sweep
    with `baseline: false`, a grid, or one from before baselines has none)."""
    trials = result.trials
    directory = SweepDir(result.path)
    space_file = directory.round_space(1)
    if trials.empty or S.PLAN_ID not in trials or not space_file.exists():
        return None
    rows = trials[trials[S.PLAN_ID].astype(str) == plan_id(1, 0)]
    if rows.empty:
        return None
    row = rows.iloc[0]
    try:
        space = read_space_file(space_file)
    except DamagedSweep:  # the summary goes on without its baseline line; analyze and resume name the file
        return None
    expected = baseline_config(space)
    same = all(p.name in row.index and _same(row[p.name], expected[p.name]) for p in space.tuned())
    return row if same else None


def baseline_line(result: SweepResult) -> str | None:
    """One line: the baseline's best metric and what the winner gained over it.

    Example: ``baseline r1-000 (every parameter at its default): best dev_accuracy 0.6770 in 30 epochs;
    the winner r2-003 improves on it by 0.0270`` (for ``mode: min`` too: a lower loss is the improvement).
    """
    row = baseline_row(result)
    if row is None:
        return None
    head = f"baseline {row[S.PLAN_ID]} (every parameter at its default)"
    best = pd.to_numeric(row.get(S.BEST), errors="coerce")
    if pd.isna(best):
        return f"{head}: {row.get(S.STATUS, 'no result')}, no {result.metric}"
    epochs = pd.to_numeric(row.get(S.EPOCHS), errors="coerce")
    trained = "" if pd.isna(epochs) else f" in {int(epochs)} epoch{'s' if epochs != 1 else ''}"
    winner = result.best()
    if str(winner[S.PLAN_ID]) == str(row[S.PLAN_ID]):
        return f"{head}: best {result.metric} {best:.4f}{trained}; no trial beat it"
    change = improvement_text(float(best), float(winner[S.BEST]), result.mode)
    return f"{head}: best {result.metric} {best:.4f}{trained}; the winner {winner[S.PLAN_ID]} {change}"


def improvement_text(before: float, after: float, mode: str) -> str:
    """How `after` compares with `before` in the metric's own direction, in words (never a signed "gain").

    Example:
        >>> improvement_text(0.60, 0.4374, "min")
        'improves on it by 0.1626'
        >>> improvement_text(0.50, 0.48, "max")
        'trails it by 0.0200'
    """
    better = (after - before) if mode == "max" else (before - after)
    if better > 0:
        return f"improves on it by {better:.4f}"
    return "matches it" if better == 0 else f"trails it by {-better:.4f}"


def _same(stored: Any, value: Any) -> bool:
    """A value read back from trials.csv equals the planned one (floats to 9 significant digits)."""
    if isinstance(value, bool) or isinstance(stored, bool | str):
        return str(stored).lower() == str(value).lower()
    if isinstance(value, int | float):
        try:
            return math.isclose(float(stored), float(value), rel_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return str(stored) == str(value)
