"""The fine stage's model: a Gaussian process over the results so far, in each parameter's own coordinate.

Coarse to fine says *where* to look (the whole space, then the zoom's envelope and the regions around the best
trials); the model says *which* of the draws from there to train next: the one of highest upper confidence bound
(the posterior mean plus twice its spread), the model fitted to the readings' ranks with a noise term, since
readings are noisy. Each parameter enters in its own coordinate scaled to [0, 1] over the base space (log10 α,
log10(1 − β), log2 of a batch size), a choice as one column per value. The kernel is Matérn 5/2 with one length
per column plus a noise term; its hyperparameters are refitted by maximum likelihood when the number of results
has grown by a quarter, and kept in between, so an ask costs milliseconds. Trials still running count at the
value the model predicts for them (the "kriging believer"), so parallel workers are not handed the same point.

Example:
    >>> from search_spaces import Space
    >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}})
    >>> model = Surrogate(space, "max")
    >>> seen = [({"lr": 10.0**e}, -(e + 2.0) ** 2) for e in (-4, -3, -1, 0, -2.5)]
    >>> pick = model.choose(seen, [], [{"lr": 1e-4}, {"lr": 0.01}, {"lr": 1.0}])
    >>> pick
    {'lr': 0.01}
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from search_spaces.params import Param
from search_spaces.scales import Scale
from search_spaces.space import Space

MIN_RESULTS = 5  # fewer results than this (or than the columns + 1) and the draws are taken as they come
_REFIT_GROWTH = 1.25
NOISE_BOUNDS = (1e-2, 1.0)  # on the warped scale: readings are noisy, the model should not interpolate them
EXPLORATION = 2.0  # the upper confidence bound's weight on the model's doubt
_FIT_POINTS = 120  # the hyperparameters need the shape of the results, not all of them


class Surrogate:
    """A picklable GP-UCB chooser for one sweep: its space's encoding and the last fitted kernel."""

    def __init__(self, space: Space, mode: str) -> None:
        self.space = space.to_dict()
        self.mode = mode
        self.kernel: Any = None  # the last kernel fitted by maximum likelihood (sklearn's, picklable)
        self.fitted_on = 0  # how many results that fit saw

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_tuned"}

    def _params(self) -> list[Param]:
        """The space's tuned params, parsed once per process (the parsed copy is not pickled)."""
        tuned = self.__dict__.get("_tuned")
        if tuned is None:
            tuned = self.__dict__["_tuned"] = Space.from_dict(self.space).tuned()
        return tuned

    def columns(self) -> int:
        return sum(1 if p.is_numeric else len(p.levels() or []) for p in self._params())

    def ready(self, results: int, pending: int = 0, batch_warmup: bool = False) -> bool:
        """Whether there are enough results for the model to choose: one more than the columns (`MIN_RESULTS`
        at least) and, with `batch_warmup`, 2 more than the trials still running, so that with `k` workers the
        model places its first trial once `2k` have been handed out (random draws until then).

        Example:
            >>> model = Surrogate(Space.from_dict({"lr": {"loguniform": [1e-4, 1]}}), "max")
            >>> model.ready(5), model.ready(5, pending=7), model.ready(5, 7, batch_warmup=True), model.ready(9, 7, True)
            (True, True, False, True)
        """
        needed = max(MIN_RESULTS, self.columns() + 1)
        return results >= (max(needed, pending + 2) if batch_warmup else needed)

    def encode(self, configs: list[dict[str, Any]]) -> np.ndarray:
        """Each config as a row in [0, 1]^columns (own coordinates over the base space's bounds; one-hot choices)."""
        columns: list[np.ndarray] = []
        for param in self._params():
            values = [c.get(param.name, param.default) for c in configs]
            if not param.is_numeric:  # a choice: one column per value (pow2 and int have a coordinate)
                levels = param.levels() or []
                columns += [np.array([float(v == level) for v in values]) for level in levels]
                continue
            lo, hi = param.coord_bounds()
            coord, middle = param.scale_type.coord, (lo + hi) / 2
            coords = np.array([coord(param, v) if v is not None else middle for v in values], dtype=float)
            columns.append((coords - lo) / (hi - lo) if hi > lo else np.zeros(len(values)))
        return np.column_stack(columns) if columns else np.zeros((len(configs), 0))

    def choose(self, results: list[tuple[dict[str, Any], float]], pending: list[dict[str, Any]],
               candidates: list[dict[str, Any]], exploration: float = EXPLORATION, batch_warmup: bool = False
               ) -> dict[str, Any]:  # fmt: skip
        """The candidate of highest upper confidence bound (mean + `exploration` × spread) given `results`
        (config, value) and trials `pending`; the first candidate while the model is not :meth:`ready`."""
        usable = [(c, v) for c, v in results if v is not None and not np.isnan(v)]  # ±inf: a diverged trial
        if not self.ready(len(usable), len(pending), batch_warmup) or len(candidates) == 1:
            return candidates[0]
        sign = 1.0 if self.mode == "max" else -1.0
        x = self.encode([c for c, _ in usable])
        y = warp(sign * np.array([v for _, v in usable], dtype=float))
        self._refit(x, y)
        if pending:  # the believer: running trials as if they had read what the model expects of them
            x_pend = self.encode(pending)
            x, y = np.vstack([x, x_pend]), np.concatenate([y, self._posterior(x, y, x_pend)[0]])
        mean, std = self._posterior(x, y, self.encode(candidates))
        return candidates[int(np.argmax(upper_confidence_bound(mean, std, exploration)))]

    def _refit(self, x: np.ndarray, y: np.ndarray) -> None:
        """Refits the kernel's hyperparameters by maximum likelihood once the results have grown by a quarter
        (on at most `_FIT_POINTS` of them, spread over the order they came in), else keeps the last ones."""
        if self.kernel is not None and len(y) < _REFIT_GROWTH * self.fitted_on:
            return
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        if self.kernel is None:
            self.kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
                np.full(x.shape[1], 0.3), (1e-2, 1e1), nu=2.5
            ) + WhiteKernel(0.1, NOISE_BOUNDS)
        keep = np.unique(np.linspace(0, len(y) - 1, min(len(y), _FIT_POINTS)).astype(int))
        model = GaussianProcessRegressor(self.kernel, normalize_y=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn's ConvergenceWarning at a bound: the fit is still usable
            model.fit(x[keep], y[keep])
        self.kernel, self.fitted_on = model.kernel_, len(y)

    def _posterior(self, x: np.ndarray, y: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The latent function's mean and standard deviation at `at`, given (x, y), under the fitted kernel
        (y standardised as in the fit; the noise term counts on the diagonal, not in the returned spread)."""
        from scipy.linalg import cho_solve, cholesky, solve_triangular

        centre, scale = float(y.mean()), float(y.std()) or 1.0
        gram = self.kernel(x) + 1e-8 * np.eye(len(y))
        lower = cholesky(gram, lower=True)  # its own check for finite values: the solves below skip theirs
        alpha = cho_solve((lower, True), (y - centre) / scale, check_finite=False)
        cross = self.kernel(at, x)
        mean = cross @ alpha
        v = solve_triangular(lower, cross.T, lower=True, check_finite=False)
        noise = float(self.kernel.k2.noise_level)
        var = np.maximum(self.kernel.diag(at) - noise - np.sum(v * v, axis=0), 1e-12)
        return mean * scale + centre, np.sqrt(var) * scale


def warp(values: np.ndarray) -> np.ndarray:
    """Values by rank on a normal scale: a diverged trial's 0.1 weighs no more than any other worst value, so
    the model spends its flexibility on the good region (a Gaussian copula, as in HEBO's output warping).

    Example:
        >>> [round(float(v), 3) for v in warp(np.array([0.9, 0.1, 0.91]))]
        [0.0, -0.967, 0.967]
    """
    from scipy.special import ndtri  # scipy.stats.norm.ppf's own function, without scipy.stats' import and checks

    return np.asarray(ndtri((_average_ranks(values) - 0.5) / len(values)) + 0.0)  # + 0.0: ppf's -0.0 → 0.0


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their mean rank (scipy.stats.rankdata's default, for finite values).

    Example:
        >>> _average_ranks(np.array([0.5, 0.1, 0.5, 0.9])).tolist()
        [2.5, 1.0, 2.5, 4.0]
    """
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts) - 1  # each sorted value's tie group
    bounds = np.r_[np.flatnonzero(starts), len(values)]  # where each group starts in the sorted order (and the end)
    ranks = np.empty(len(values))
    ranks[order] = 0.5 * (bounds[group] + bounds[group + 1] + 1)
    return ranks


def local_draws(space: Space, centres: list[dict[str, Any]], count: int, seed: int, scale: float = 0.1
                ) -> list[dict[str, Any]]:  # fmt: skip
    """`count` draws near `centres` (in turn) inside `space`: each numeric parameter moved by a normal step of
    `scale` × its range in its own coordinate, each choice kept (4 times in 5) or drawn afresh; fixed values as
    the space holds them. Candidates for the model to refine the best trials with, where uniform draws are sparse.

    Example:
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}, "epochs": 5})
        >>> draws = local_draws(space, [{"lr": 0.01}], 50, seed=0)
        >>> all(1e-4 <= d["lr"] <= 1 and d["epochs"] == 5 for d in draws)
        True
        >>> bool(0.001 < np.median([d["lr"] for d in draws]) < 0.1)
        True
    """
    from search_spaces.sampling import sample_configs

    rng = np.random.default_rng(seed)
    draws = sample_configs(space, count, "random", seed)
    moves = [[_move(p, centre, scale) for p in space.tuned()] for centre in centres]
    plan = [[m for m in moves[i % len(moves)] if m is not None] for i in range(len(draws))]
    steps = [[m for m in each if isinstance(m, _Step)] for each in plan]
    if all(len(s) == len(each) for s, each in zip(steps, plan, strict=True)):  # normal steps only: drawn at once
        spreads = [step.spread for each in steps for step in each]  # in the order of the one-by-one draws
        changes = iter(rng.normal(0.0, np.array(spreads, dtype=float)).tolist() if spreads else [])
        for draw, each in zip(draws, steps, strict=True):
            for step in each:
                draw[step.name] = step.to(next(changes))
        return draws
    for draw, moved in zip(draws, plan, strict=True):  # kept choices too: their draws interleave with the steps
        for m in moved:
            if isinstance(m, _Step):
                draw[m.name] = m.to(float(rng.normal(0.0, m.spread)))
            elif rng.random() < 0.8:
                draw[m.name] = m.value
    return draws


class _Step(NamedTuple):
    """A numeric parameter's move from a centre: a normal step of `spread` in its own coordinate, kept in range."""

    name: str
    param: Param
    scale: Scale
    coord: float
    lo: float
    hi: float
    spread: float

    def to(self, change: float) -> Any:
        return _plain(self.scale.from_coord(self.param, min(max(self.coord + change, self.lo), self.hi)))


class _Keep(NamedTuple):
    """A choice kept at the centre's value (4 times in 5)."""

    name: str
    value: Any


def _move(param: Param, centre: dict[str, Any], scale: float) -> _Step | _Keep | None:
    """How :func:`local_draws` moves `param` away from `centre` (None: it keeps the uniform draw)."""
    value = centre.get(param.name)
    if value is None or param.is_grid:
        return None
    if param.is_numeric:
        lo, hi = param.coord_bounds()
        try:
            coord = float(param.coord(value))
        except (ValueError, TypeError, ArithmeticError):
            return None
        return _Step(param.name, param, param.scale_type, coord, lo, hi, scale * (hi - lo))
    return _Keep(param.name, value) if param.contains(value) else None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def upper_confidence_bound(mean: np.ndarray, std: np.ndarray, weight: float = EXPLORATION) -> np.ndarray:
    """mean + weight × std: what a candidate may plausibly reach (maximisation); the doubt term keeps the search
    from settling on the first good region while the model knows little elsewhere.

    Example:
        >>> [float(v) for v in upper_confidence_bound(np.array([0.0, 0.5]), np.array([0.5, 0.1]))]
        [1.0, 0.7]
    """
    return mean + weight * std
