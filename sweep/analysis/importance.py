"""How much each hyperparameter matters: random-forest permutation importance, and the best region.

The forest is fitted on the trials' best metric over the parameters in their OWN coordinates (log10 α,
log10(1−β), log2 of a power of two, linear; a categorical as its ordinal code), so "important" means
"moving along the scale the sweep samples on changes the metric". Importance is measured out of fold:
each fold's forest is scored on trials it did not see, and shuffling one parameter's column there costs
so much R². A parameter the forest merely memorised costs nothing on unseen trials, so it scores ~0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from search_spaces import Param
from sweep.analysis.advice import best_quarter, is_missing
from sweep.store import schema as S

MIN_TRIALS = 3  # fewer finished trials than this: no importance, only a note
TREES = 100
REPEATS = 8  # shuffles per parameter per fold


@dataclass
class Importance:
    """The outcome of :func:`importance`.

    Attributes:
        scores: parameter -> share of the explained variance it carries (sums to 1; empty when skipped).
        r2: out-of-fold R² of the forest (how much of the metric the parameters explain at all).
        trials: how many trials the forest was fitted on.
        method: one line saying what was done, for the terminal and the report.
        notes: caveats (diverged trials scored as the worst, a weak model, why it was skipped).
    """

    scores: dict[str, float]
    r2: float
    trials: int
    method: str
    notes: list[str] = field(default_factory=list)

    def ordered(self) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda item: -item[1])


def design_matrix(trials: pd.DataFrame, params: dict[str, Param]) -> pd.DataFrame:
    """One column per parameter, in its own coordinate."""
    from sweep.analysis import categorical_levels, coord_of

    columns = {}
    for name, param in params.items():
        if not param.is_numeric:
            param = categorical_levels(param, trials[name])
        columns[name] = [coord_of(param, v) if not is_missing(v) else math.nan for v in trials[name]]
    return pd.DataFrame(columns, index=trials.index)


def fit_table(trials: pd.DataFrame, mode: str) -> tuple[pd.DataFrame, list[str]]:
    """The trials the forest learns from: errored ones dropped, diverged ones scored as the worst seen.

    A diverged trial says "this region is bad"; dropping it would hide exactly the cliff a sweep finds.
    """
    notes: list[str] = []
    if S.BEST not in trials:  # no trial has finished: nothing to learn from
        return trials.iloc[0:0], notes
    ok = trials[trials[S.STATUS] != S.ERRORED] if S.STATUS in trials else trials
    ok = ok.assign(**{S.BEST: pd.to_numeric(ok[S.BEST], errors="coerce")})
    finite = ok[S.BEST].map(math.isfinite)
    if finite.any() and not finite.all():
        worst = ok.loc[finite, S.BEST].min() if mode == "max" else ok.loc[finite, S.BEST].max()
        bad = ok[S.BEST].map(lambda v: not math.isnan(v) and not math.isfinite(v))
        if bad.any():
            notes.append(f"{int(bad.sum())} diverged trial(s) scored as the worst finite metric ({worst:.4g})")
        ok = ok.assign(**{S.BEST: ok[S.BEST].where(~bad, worst)})
    return ok[ok[S.BEST].notna()], notes


def importance(trials: pd.DataFrame, params: dict[str, Param], mode: str, seed: int = 0) -> Importance:
    """Random-forest permutation importance of each parameter for the trials' best metric.

    Example:
        >>> result = importance(source.trials, source.params, source.mode)  # doctest: +SKIP
        >>> result.ordered()[0]  # doctest: +SKIP
        ('lr', 0.81)
    """
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.model_selection import KFold

    table, notes = fit_table(trials, mode)
    n = len(table)
    if n < MIN_TRIALS or not params:
        why = f"{n} finished trial(s)" if params else "no parameter varied"
        return Importance({}, math.nan, n, f"importance: skipped ({why}; it needs at least {MIN_TRIALS})")
    x = design_matrix(table, params).fillna(-1.0).to_numpy()  # a missing value is its own level
    y = table[S.BEST].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    folds = KFold(n_splits=min(5, n), shuffle=True, random_state=seed)
    predicted = np.empty(n)
    drops = np.zeros(len(params))
    for train, test in folds.split(x):
        forest = RandomForestRegressor(n_estimators=TREES, min_samples_leaf=2, random_state=seed, n_jobs=1)
        forest.fit(x[train], y[train])
        predicted[test] = forest.predict(x[test])
        base = _sse(y[test], predicted[test])
        for j in range(len(params)):
            # All repeats in one predict call (a forest's predict has a large fixed cost). Values are drawn
            # from the whole sample, not only this fold: a fold may hold two or three trials.
            shuffled = np.tile(x[test], (REPEATS, 1))
            shuffled[:, j] = rng.choice(x[:, j], size=len(shuffled))
            errors = _sse(np.tile(y[test], REPEATS), forest.predict(shuffled)) / REPEATS
            drops[j] += errors - base
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - _sse(y, predicted) / total if total > 0 else math.nan
    gains = np.clip(drops, 0.0, None)
    scores = dict.fromkeys(params, 0.0)
    if gains.sum() > 0:
        scores = {name: float(g / gains.sum()) for name, g in zip(params, gains, strict=True)}
    else:
        notes.append("shuffling no parameter made the predictions worse: none explains the metric")
    if not math.isnan(r2) and r2 < 0.2:
        notes.append(f"the forest explains little of the metric (R² {r2:.2f}): read the importances as weak")
    method = (
        f"importance: random-forest permutation importance on {n} trials "
        f"(out-of-fold R² {r2:.2f}; parameters in their own coordinates; normalised to sum to 1)"
    )
    return Importance(scores, r2, n, method, notes)


def best_regions(ranked: pd.DataFrame, params: dict[str, Param]) -> dict[str, tuple[float, float, int]]:
    """Per numeric parameter: (lowest, highest, trials) over the best quarter of the ranked trials."""
    if ranked.empty:
        return {}
    top = best_quarter(ranked)  # the "best region" is the range of the best quarter
    regions = {}
    for name, param in params.items():
        values = pd.to_numeric(top[name], errors="coerce").dropna()
        if param.is_numeric and not values.empty:
            regions[name] = (float(values.min()), float(values.max()), len(top))
    return regions


def _sse(y: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.sum((y - predicted) ** 2))
