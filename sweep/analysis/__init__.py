"""`sweep analyze`: what a finished sweep says about its hyperparameters, from the files on disk alone.

The input is a sweep directory (trials, history, each round's space) or a table written by `sweep export`
(trials only; scales are then inferred from the values). :func:`load_source` reads either into one
:class:`Source`; :func:`analyze` computes importances, writes the plots and the HTML report.

Example:
    >>> from sweep.analysis import analyze
    >>> analysis = analyze("sweeps/digits-momentum-20261122-120000")  # doctest: +SKIP
    >>> print(analysis.text())  # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from search_spaces import Param, Space
from sweep.store import schema as S
from sweep.store.damage import damaged, read_space_file, spec_round_conflict
from sweep.store.layout import SPEC_FILE, SweepDir
from sweep.store.ranking import rank_trials
from sweep_errors import SweepError

# A positive column spanning more than this many decades is taken to be log-scaled (exported CSVs only).
LOG_DECADES = 1.5
TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass
class Source:
    """One sweep's results, ready to analyse.

    Attributes:
        name: a label for titles (the directory name or the file stem).
        trials: one row per trial (schema columns, then hyperparameters).
        history: one row per trial per epoch; empty when unknown (an exported CSV without --history).
        metric, mode: the sweep's metric and whether higher ("max") or lower ("min") is better.
        params: the tuned hyperparameters with their scale (from the widest round that varied them).
        rounds: each round's space by round number; empty for an exported CSV.
        plots_dir, report_path: where the PNGs and the HTML report go.
        notes: how things were inferred, for the report.
        milestones: the epochs where the sweep's scheduler could stop a trial (ASHA's rungs); empty when
            unknown or when it never stops one.
    """

    name: str
    trials: pd.DataFrame
    history: pd.DataFrame
    metric: str
    mode: str
    params: dict[str, Param]
    rounds: dict[int, Space]
    plots_dir: Path
    report_path: Path
    notes: list[str] = field(default_factory=list)
    milestones: tuple[int, ...] = ()

    def ranked(self) -> pd.DataFrame:
        """Non-errored trials with a finite metric, best first: the sweep's one ranking
        (:func:`sweep.store.ranking.rank_trials`), on comparable evidence."""
        trials = self.trials
        if trials.empty or S.BEST not in trials:
            return trials.iloc[0:0]
        ranked = rank_trials(trials, self.mode)
        metric = pd.to_numeric(ranked[S.BEST], errors="coerce")
        usable = metric.map(lambda v: math.isfinite(v) if isinstance(v, float) else False).astype(bool)
        if S.STATUS in ranked:
            usable &= ranked[S.STATUS] != S.ERRORED
        return ranked[usable].reset_index(drop=True)


def load_source(path: str | Path, history: str | Path | None = None) -> Source:
    """Reads a sweep directory or an exported trials table (.csv/.parquet) into a :class:`Source`.

    Raises:
        SweepError: the path does not exist, or is neither a sweep directory nor an exported table.
    """
    target = Path(path).expanduser()
    if not target.exists():
        raise SweepError(f"'{path}' not found: give a sweep directory or a CSV written by `sweep export`")
    if target.is_dir():
        source = _from_directory(target)
    elif target.suffix in TABLE_SUFFIXES:
        source = _from_table(target)
    else:
        raise SweepError(f"'{path}': give a sweep directory or a .csv/.parquet file written by `sweep export`")
    if history is not None:
        source.history = _read_table(Path(history).expanduser())
    return source


def _from_directory(root: Path) -> Source:
    from sweep.store.results import load

    result = load(root)
    rounds: dict[int, Space] = {}
    for file in sorted((result.path / "rounds").glob("round-*.yaml")):
        number = file.stem.removeprefix("round-")
        if number.isdigit():
            rounds[int(number)] = read_space_file(file)
    notes: list[str] = []
    directory = SweepDir(result.path)
    spec_file = directory.spec_yaml
    spec_space = directory.read_spec().space if spec_file.is_file() else None
    if spec_space is not None and rounds:
        conflict = spec_round_conflict(spec_space, rounds)
        if conflict:  # an edited spec would give scales and advice the sweep never ran
            raise damaged(spec_file, conflict, "the spec was edited after the sweep ran: restore the spec it ran")
    planned = [int(slot.get("number", 0)) for slot in result.state.get("rounds", []) if isinstance(slot, dict)]
    if planned and not rounds:
        where = f"from {SPEC_FILE}" if spec_space is not None else "inferred from the values"
        notes.append(f"rounds/ has no round spaces (deleted?): scales {where}")
        rounds = {}
    params = {}
    for name in _varying(result.trials, result.param_names):
        tuned = [space[name] for _, space in sorted(rounds.items()) if name in space and not space[name].is_fixed]
        if not tuned and not rounds and spec_space is not None and name in spec_space:
            tuned = [spec_space[name]] if not spec_space[name].is_fixed else []
        params[name] = tuned[0] if tuned else infer_param(name, result.trials[name])
    return Source(
        notes=notes,
        name=result.path.name,
        trials=result.trials,
        history=result.history,
        metric=result.metric,
        mode=result.mode,
        params=params,
        rounds=rounds,
        plots_dir=result.path / "plots",
        report_path=result.path / "report.html",
        milestones=_milestones(result.path, result.trials),
    )


def _milestones(root: Path, trials: pd.DataFrame) -> tuple[int, ...]:
    """The scheduler's milestones (ASHA's rungs) as the sweep ran them: a rung no trial stopped at still had
    trials pass through it."""
    from sweep.schedulers import get_scheduler

    try:
        scheduler = SweepDir(root).read_spec().scheduler
    except (OSError, SweepError):
        return ()
    column = next((c for c in ("epochs", S.EPOCHS) if c in trials), None)
    budget = pd.to_numeric(trials[column], errors="coerce") if column else pd.Series(dtype=float)
    max_t = scheduler.max_t or (int(budget.max()) if budget.notna().any() else 0)
    if max_t < 1:
        return ()
    return get_scheduler(scheduler.type).milestones(scheduler, max_t)


def _from_table(file: Path) -> Source:
    trials = _read_table(file)
    if S.BEST not in trials:
        raise SweepError(f"'{file}': no '{S.BEST}' column: give a trials table written by `sweep export`")
    names = [c for c in trials.columns if c not in S.RESERVED]
    params = {name: infer_param(name, trials[name]) for name in _varying(trials, names)}
    mode, how = _infer_mode(trials)
    notes = [
        "exported table: no round spaces, scales inferred from the values "
        f"(loguniform when positive and spanning > {LOG_DECADES:g} decades, categorical when not numeric)",
        f"mode '{mode}' {how}",
    ]
    return Source(
        name=file.stem,
        trials=trials,
        history=pd.DataFrame(),
        metric=S.BEST,
        mode=mode,
        params=params,
        rounds={},
        plots_dir=file.with_name(f"{file.stem}-plots"),
        report_path=file.with_name(f"{file.stem}-report.html"),
        notes=notes,
    )


def _read_table(file: Path) -> pd.DataFrame:
    if not file.is_file():
        raise SweepError(f"'{file}' not found: give a file written by `sweep export`")
    try:
        return pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
    except (ValueError, OSError) as err:
        raise SweepError(f"'{file}': cannot read it as a table ({err})") from None


def _varying(trials: pd.DataFrame, names: list[str]) -> list[str]:
    """The parameters that took more than one value: a held parameter explains nothing."""
    return [n for n in names if n in trials.columns and trials[n].dropna().nunique() > 1]


def _infer_mode(trials: pd.DataFrame) -> tuple[str, str]:
    """`sweep export` writes best first, so the order of the metric tells the mode."""
    values = pd.to_numeric(trials[S.BEST], errors="coerce")
    values = values[values.map(math.isfinite)]
    if len(values) > 1 and values.is_monotonic_increasing and not values.is_monotonic_decreasing:
        return "min", "(inferred: the table is sorted by an ascending metric)"
    return "max", "(inferred from the order of the table; max unless it is sorted ascending)"


def infer_param(name: str, values: pd.Series) -> Param:
    """A scale for a column with no recorded space: loguniform, int, uniform, or choice.

    Example:
        >>> infer_param("lr", pd.Series([1e-4, 3e-3, 0.2])).scale
        'loguniform'
    """
    present = values.dropna()
    numeric = pd.to_numeric(present, errors="coerce")
    if present.empty or numeric.isna().any() or present.map(lambda v: isinstance(v, bool)).any():
        return Param(name, "choice", values=tuple(sorted(present.unique(), key=str)))
    low, high = float(numeric.min()), float(numeric.max())
    if low > 0 and math.log10(high / low) > LOG_DECADES:
        return Param(name, "loguniform", low, high)
    if (numeric == numeric.round()).all():
        return Param(name, "int", int(low), int(high))
    return Param(name, "uniform", low, high)


def coord_of(param: Param, value: Any) -> float:
    """The param's own coordinate; a categorical's position among its values (ordinal code)."""
    if param.is_numeric:
        return float(param.coord(float(value)))
    levels = [str(v) for v in param.values]
    text = str(value)
    return float(levels.index(text)) if text in levels else float("nan")


def categorical_levels(param: Param, values: pd.Series) -> Param:
    """A categorical param whose levels include every value seen (a space may list fewer than ran)."""
    seen = [v for v in values.dropna().unique() if str(v) not in {str(x) for x in param.values}]
    return Param(param.name, param.scale, values=tuple(param.values) + tuple(sorted(seen, key=str)))


from sweep.analysis.advice import Advice  # noqa: E402
from sweep.analysis.advisor import advice_lines, advise  # noqa: E402
from sweep.analysis.next_sweep import next_spec  # noqa: E402
from sweep.analysis.report import Analysis, analyze  # noqa: E402  (report imports Source from here)

__all__ = [
    "Advice",
    "Analysis",
    "Source",
    "advice_lines",
    "advise",
    "analyze",
    "coord_of",
    "infer_param",
    "load_source",
    "next_spec",
]
