"""`sweep.load(DIR)`: a finished or interrupted sweep as pandas tables, without Ray running."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sweep.store import schema as S
from sweep.store.damage import REQUIRED, read_checked_table
from sweep.store.layout import HISTORY_FILE, TRIALS_FILE, SweepDir
from sweep.store.ranking import rank_trials


@dataclass
class SweepResult:
    """The tables of one sweep directory.

    Attributes:
        path: the sweep directory.
        trials: one row per trial (columns in `sweep.store.schema.TRIAL_COLUMNS`, then the hyperparameters).
        history: one row per trial per epoch, every reported metric.
        state: the contents of sweep.json (options, rounds, summary).
    """

    path: Path
    trials: pd.DataFrame
    history: pd.DataFrame
    state: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line, not the tables (a notebook shows `result` as it is): where, how far, and the winner."""
        best = "" if self.ranked().empty else f", best {self.best()[S.PLAN_ID]} {self.metric} {self.best()[S.BEST]:.4g}"
        return f"SweepResult('{self.path}', {self.status}, {len(self.trials)} trials{best})"

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

    def ranked(self) -> pd.DataFrame:
        """Trials best first on comparable evidence (:func:`sweep.store.ranking.rank_trials`); errored ones last."""
        return rank_trials(self.trials, self.mode)

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
        return {name: _plain(row[name]) for name in self.param_names if name in row.index}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def load(path: str | Path) -> SweepResult:
    """Reads a sweep directory into pandas tables (duplicates from resumed trials removed).

    A damaged file raises :class:`sweep.store.damage.DamagedSweep` (a SweepError) naming it; table rows that do
    not parse are dropped with a :class:`sweep.store.tables.TableWarning`.

    Example:
        >>> import sweep
        >>> result = sweep.load("sweeps/digits-momentum-20261122-120000")  # doctest: +SKIP
        >>> result.trials.groupby("status").size()  # doctest: +SKIP
    """
    return read(SweepDir.open(path))


def read(directory: SweepDir) -> SweepResult:
    """The tables of an opened sweep directory (a URI's local mirror already pulled)."""
    trials = read_checked_table(directory.trials_csv, [S.PLAN_ID], REQUIRED[TRIALS_FILE])
    history = read_checked_table(directory.history_csv, [S.PLAN_ID, S.EPOCH], REQUIRED[HISTORY_FILE])
    if not history.empty:
        history = history.sort_values([S.ROUND, S.PLAN_ID, S.EPOCH], kind="stable").reset_index(drop=True)
    return SweepResult(directory.root, trials, history, directory.state.read().to_dict())
