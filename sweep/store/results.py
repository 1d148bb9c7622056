"""`sweep.load(PATH)`: one sweep's results as pandas tables, without Ray running.

PATH is a sweep directory (or its URI), or a trials table `sweep export` wrote (.csv/.parquet: no history, no
round spaces; the metric's direction and each parameter's scale are then inferred from the values). Either
way it is one :class:`SweepResult`, the type `run_sweep` returns and `sweep analyze` reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from search_spaces import Param, Space
from sweep.store import schema as S
from sweep.store.damage import REQUIRED, damaged, read_checked_table, read_space_file, spec_round_conflict
from sweep.store.layout import HISTORY_FILE, SPEC_FILE, TRIALS_FILE, SweepDir
from sweep.store.ranking import rank_trials
from sweep.store.tables import plain
from sweep_errors import SweepError

TABLE_SUFFIXES = (".csv", ".parquet")
# A positive column spanning more than this many decades is taken to be log-scaled (exported tables only).
LOG_DECADES = 1.5
EXPORTED = "exported"  # the status of a result read from an exported table (it has no sweep.json)


@dataclass
class SweepResult:
    """One sweep's results.

    Attributes:
        path: the sweep directory; for an exported table, the table's file (`exported` is then True).
        trials: one row per trial (columns in `sweep.store.schema.TRIAL_COLUMNS`, then the hyperparameters).
        history: one row per trial per epoch, every reported metric (empty for an exported table).
        state: the contents of sweep.json (options, rounds, summary); for an exported table, the inferred
            metric, mode and parameter names.
        exported: read from a table `sweep export` wrote rather than from a sweep directory.

    The spaces that analysis needs (`spec`, `rounds`, `params`, `milestones`, `notes`) are read from the
    directory on first use, so reading the tables (`sweep.load`, `show`, `export`) never touches them.
    """

    path: Path
    trials: pd.DataFrame
    history: pd.DataFrame
    state: dict[str, Any] = field(default_factory=dict)
    exported: bool = False

    def __repr__(self) -> str:
        """One line, not the tables (a notebook shows `result` as it is): where, how far, and the winner."""
        best = "" if self.ranked().empty else f", best {self.best()[S.PLAN_ID]} {self.metric} {self.best()[S.BEST]:.4g}"
        return f"SweepResult('{self.path}', {self.status}, {len(self.trials)} trials{best})"

    @property
    def location(self) -> str:
        """Where the sweep lives for the user, as commands take it: its URI when stored at one (`path` is then
        the driver's local mirror), else its directory."""
        return str(self.state.get("remote") or self.path)

    @property
    def metric(self) -> str:
        return str(self.state.get("metric", "dev_accuracy"))

    @property
    def mode(self) -> str:
        return str(self.state.get("mode", "max"))

    @property
    def status(self) -> str:
        """The sweep's status; `interrupted` for a `running` one whose driver is gone (killed, rebooted)."""
        from sweep.run.liveness import effective_status

        return effective_status(self.state)

    @property
    def param_names(self) -> list[str]:
        return list(self.state.get("params", []))

    @property
    def name(self) -> str:
        """A label for titles: the sweep's folder name (at its URI, not its local mirror's), or the exported
        file's stem."""
        return self.path.stem if self.exported else self.location.rstrip("/").rsplit("/", 1)[-1]

    @property
    def plots_dir(self) -> Path:
        """Where `sweep analyze` writes its PNGs: DIR/plots/, or <stem>-plots/ beside an exported table."""
        return self.path.with_name(f"{self.path.stem}-plots") if self.exported else self.path / "plots"

    @property
    def report_path(self) -> Path:
        return self.path.with_name(f"{self.path.stem}-report.html") if self.exported else self.path / "report.html"

    def ranked(self, usable: bool = False) -> pd.DataFrame:
        """Trials best first on comparable evidence (:func:`sweep.store.ranking.rank_trials`); errored ones last.

        Args:
            usable: only the trials analysis can read: a finite metric, and not errored.
        """
        ranked = rank_trials(self.trials, self.mode)
        if not usable or ranked.empty:
            return ranked
        if S.BEST not in ranked:
            return ranked.iloc[0:0]
        keep = np.isfinite(pd.to_numeric(ranked[S.BEST], errors="coerce").astype(float))
        if S.STATUS in ranked:
            keep &= ranked[S.STATUS] != S.ERRORED
        return ranked[keep].reset_index(drop=True)

    def top(self, k: int = 5) -> pd.DataFrame:
        return self.ranked().head(k)

    def best(self) -> pd.Series:
        """The best trial's row (its hyperparameters and metrics).

        Example:
            >>> import sweep
            >>> result = sweep.load("sweeps/digits-momentum-20261122-120000")  # doctest: +SKIP
            >>> result.best()["lr"]  # doctest: +SKIP
        """
        ranked = self.ranked()
        if ranked.empty:
            raise LookupError(f"sweep {self.path} has no finished trials yet")
        return ranked.iloc[0]

    def best_config(self) -> dict[str, Any]:
        """The best trial's hyperparameters as plain Python values."""
        row = self.best()
        return {name: plain(row[name]) for name in self.param_names if name in row.index}

    @cached_property
    def rounds(self) -> dict[int, Space]:
        """Each round's space by round number, as it ran; empty for an exported table."""
        files = [] if self.exported else (self.path / "rounds").glob("round-*.yaml")
        numbered = {int(f.stem[6:]): f for f in files if f.stem[6:].isdigit()}
        return {number: read_space_file(numbered[number]) for number in sorted(numbered)}

    @cached_property
    def spec(self) -> Any:
        """The spec as run (a SweepSpec), or None (an exported table; no spec file).

        Raises:
            DamagedSweep: the spec was edited after the sweep ran (another scale than a round ran).
        """
        directory = SweepDir(self.path)
        if self.exported or not directory.spec_yaml.is_file():
            return None
        spec = directory.read_spec()
        conflict = spec_round_conflict(spec.space, self.rounds) if self.rounds else None
        if conflict:  # an edited spec would give scales and advice the sweep never ran
            fix = "the spec was edited after the sweep ran: restore the spec it ran"
            raise damaged(directory.spec_yaml, conflict, fix)
        return spec

    @cached_property
    def params(self) -> dict[str, Param]:
        """The hyperparameters that took more than one value, each with its scale: from the first round that
        tuned it, else the spec (round spaces deleted), else inferred from the values (:func:`infer_param`)."""
        spec = self.spec  # refused when edited, even where the rounds give every scale: advice reads it too
        spaces = list(self.rounds.values()) or ([spec.space] if spec is not None else [])
        out = {}
        for name in [n for n in self.param_names if n in self.trials and self.trials[n].dropna().nunique() > 1]:
            tuned = [space[name] for space in spaces if name in space and not space[name].is_fixed]
            out[name] = tuned[0] if tuned else infer_param(name, self.trials[name])
        return out

    @cached_property
    def notes(self) -> list[str]:
        """How scales and mode were found when the directory could not say, for the analysis report."""
        if self.exported:
            return [
                "exported table: no round spaces, scales inferred from the values "
                f"(loguniform when positive and spanning > {LOG_DECADES:g} decades, categorical when not numeric)",
                f"mode '{self.mode}' {_infer_mode(self.trials)[1]}",
            ]
        if any(isinstance(slot, dict) for slot in self.state.get("rounds", [])) and not self.rounds:
            where = f"from {SPEC_FILE}" if self.spec is not None else "inferred from the values"
            return [f"rounds/ has no round spaces (deleted?): scales {where}"]
        return []

    @cached_property
    def milestones(self) -> tuple[int, ...]:
        """The epochs where the scheduler could stop a trial (ASHA's rungs) as the sweep ran them, a rung no
        trial stopped at included; empty when unknown or when it never stops one."""
        from sweep.schedulers import get_scheduler

        if self.spec is None:
            return ()
        scheduler = self.spec.scheduler
        column = next((c for c in ("epochs", S.EPOCHS) if c in self.trials), None)
        budget = pd.to_numeric(self.trials[column], errors="coerce") if column else pd.Series(dtype=float)
        max_t = scheduler.max_t or (int(budget.max()) if budget.notna().any() else 0)
        return get_scheduler(scheduler.type).milestones(scheduler, max_t) if max_t >= 1 else ()


def load(path: str | Path) -> SweepResult:
    """Reads a sweep directory (or URI), or a trials table `sweep export` wrote, into pandas tables.

    Duplicates from resumed trials are removed. A damaged file raises :class:`sweep.store.damage.DamagedSweep`
    (a SweepError) naming it; table rows that do not parse are dropped with a
    :class:`sweep.store.tables.TableWarning`.

    Example:
        >>> import sweep
        >>> result = sweep.load("sweeps/digits-momentum-20261122-120000")  # doctest: +SKIP
        >>> result.trials.groupby("status").size()  # doctest: +SKIP
    """
    target = Path(path).expanduser()
    if target.suffix in TABLE_SUFFIXES and not target.is_dir():
        return read_exported(target)
    if target.is_file():
        raise SweepError(f"'{path}': give a sweep directory or a .csv/.parquet file written by `sweep export`")
    return read(SweepDir.open(path))


def read(directory: SweepDir) -> SweepResult:
    """The tables of an opened sweep directory (a URI's local mirror already pulled)."""
    trials = read_checked_table(directory.trials_csv, [S.PLAN_ID], REQUIRED[TRIALS_FILE])
    history = read_checked_table(directory.history_csv, [S.PLAN_ID, S.EPOCH], REQUIRED[HISTORY_FILE])
    if not history.empty:
        history = history.sort_values([S.ROUND, S.PLAN_ID, S.EPOCH], kind="stable").reset_index(drop=True)
    # where it was opened, not where sweep.json says it was written: a sweep copied to another URI or folder is
    # the copy (its name, its resume line)
    state = {**directory.state.read().to_dict(), "remote": directory.remote}
    return SweepResult(directory.root, trials, history, state)


def read_exported(file: Path) -> SweepResult:
    """A trials table `sweep export` wrote: its metric is `best_metric`, its mode read from its order."""
    trials = read_table_file(file)
    if S.BEST not in trials:
        raise SweepError(f"'{file}': no '{S.BEST}' column: give a trials table written by `sweep export`")
    params = [c for c in trials.columns if c not in S.RESERVED]
    state = {"status": EXPORTED, "metric": S.BEST, "mode": _infer_mode(trials)[0], "params": params}
    return SweepResult(file, trials, pd.DataFrame(), state, exported=True)


def read_table_file(file: Path) -> pd.DataFrame:
    """A .csv or .parquet table `sweep export` wrote (trials, or their `--history`)."""
    if not file.is_file():
        raise SweepError(f"'{file}' not found: give a file written by `sweep export`")
    try:
        return pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
    except (ValueError, OSError) as err:
        raise SweepError(f"'{file}': cannot read it as a table ({err})") from None


def _infer_mode(trials: pd.DataFrame) -> tuple[str, str]:
    """`sweep export` writes best first, so its first row tells the mode. Not the order of the whole column: the
    ranking puts trials pruned early after the others whatever their metric (:mod:`sweep.store.ranking`)."""
    values = pd.to_numeric(trials[S.BEST], errors="coerce").astype(float)
    values = values[np.isfinite(values)]
    if len(values) > 1 and values.iloc[0] < values.median():
        return "min", "(inferred: the first row, the best, has a metric below the median)"
    return "max", "(inferred: max unless the first row, the best, has a metric below the median)"


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
