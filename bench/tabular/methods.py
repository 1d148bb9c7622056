"""The methods the tabular bench compares, each behind one ask/tell face: ``ask() -> (handle, config) | None``,
``tell(handle, value)``.

Every method sees the same space (the spec's, on the course's scales): sweep's through its public `Planner`;
Optuna's samplers and Ray Tune's HyperOpt searcher through the one coordinate mapping sweep's own `sampler: tpe`
uses (:class:`sweep.run.tpe.CoordinateSpace`: log10 α natively, log2 of a batch size, log10(1 − β) as plain
ranges), turned back into values by :func:`sweep.run.tpe.from_coordinates`.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search_spaces import Space

SWEEP, OPTUNA, RAY = "sweep", "optuna", "ray"


@dataclass(frozen=True)
class Method:
    """One compared method: its key, label, family, and (for sweep) the spec's changes."""

    key: str
    label: str
    runner: str
    spec: dict[str, Any] = field(default_factory=dict)  # sweep: keys over the base spec ({"rounds": 3}, ...)
    staged: bool = False  # sweep --staged: each tier's rounds share the budget

    @property
    def plans_on_budget(self) -> bool:
        """Whether its asks depend on the budget: sweep's rounds are sized by it; Optuna's samplers, HyperOpt and
        sweep's `sampler: tpe` (Optuna's TPE one draw at a time: its count only says when to stop) never see it,
        so one run at the largest budget gives the smaller ones (:func:`.simulate.cut`)."""
        return self.runner == SWEEP and self.spec.get("sampler") != "tpe"


METHODS: dict[str, Method] = {
    m.key: m
    for m in (
        Method("sweep-random", "sweep random (1 round)", SWEEP, {"rounds": {"count": 1, "model": "none"}}),
        Method("sweep-default", "sweep default (coarse to fine)", SWEEP, {"rounds": 3}),
        Method(
            "sweep-v2",
            "sweep v2 default (3 zoomed rounds drawn up front)",
            SWEEP,
            {"rounds": {"count": 3, "model": "none"}},
        ),  # fmt: skip
        Method("sweep-no-explore", "sweep default, explore: 0", SWEEP, {"rounds": {"count": 3, "explore": 0}}),
        Method("sweep-gp-1round", "sweep 1 model-guided round", SWEEP, {"rounds": 1}),
        Method(
            "sweep-ucb-falling",
            "sweep default, exploration falling 2 → 0.2",
            SWEEP,
            {"rounds": {"count": 3, "exploration": [2, 0.2]}},
        ),  # fmt: skip
        Method(
            "sweep-batch-warmup",
            "sweep default, batch_warmup: true",
            SWEEP,
            {"rounds": {"count": 3, "batch_warmup": True}},
        ),  # fmt: skip
        Method("sweep-staged", "sweep --staged", SWEEP, {"rounds": 1}, staged=True),
        Method("sweep-tpe", "sweep sampler: tpe", SWEEP, {"sampler": "tpe", "rounds": 1}),
        Method("optuna-tpe", "Optuna TPE (defaults)", OPTUNA),
        Method("optuna-gp", "Optuna GPSampler", OPTUNA),
        Method("optuna-random", "Optuna random", OPTUNA),
        Method("ray-hyperopt", "Ray Tune HyperOptSearch", RAY),
    )
}


@dataclass(frozen=True)
class Asker:
    """One run of a method, behind the bench's one face."""

    ask: Callable[[], tuple[Any, dict[str, Any]] | None]  # (a handle to tell its value with, the config) or None
    tell: Callable[[Any, float], None]


def make(method: Method, space: dict[str, Any], metric: str, mode: str, budget: int, workers: int, seed: int,
         scratch: Path) -> Asker:  # fmt: skip
    """The method's asker for one run."""
    if method.runner == SWEEP:
        return _sweep(method, space, metric, mode, budget, workers, seed, scratch)
    if method.runner == OPTUNA:
        return _optuna(method.key, space, mode, seed)
    return _hyperopt(space, metric, mode, seed)


def _sweep(method: Method, space: dict[str, Any], metric: str, mode: str, budget: int, workers: int, seed: int,
           scratch: Path) -> Asker:  # fmt: skip
    """sweep's recipe through the public ask/tell `Planner` (one code path with the Tuner's searcher)."""
    from search_spaces import parse_spec
    from sweep import Planner

    spec: dict[str, Any] = {"name": "tabular", "metric": metric, "mode": mode, "seed": seed, "space": space}
    spec.update(method.spec)
    rounds = parse_spec(spec).rounds.count * (len(Space.from_dict(space).tiers()) if method.staged else 1)
    spec["samples"] = math.ceil(budget / rounds)  # samples per round: the rounds share the budget
    directory = Path(tempfile.mkdtemp(prefix="plan-", dir=scratch))
    # the scratch directory goes when the bench ends: no disk sync per proposal (it changes no proposal)
    planner = Planner(spec, workers=workers, directory=directory, staged=method.staged, durable=False)

    def ask() -> tuple[Any, dict[str, Any]] | None:
        config = planner.ask()
        return None if config is None else (config, config)

    return Asker(ask, planner.tell)


def _optuna(key: str, space: dict[str, Any], mode: str, seed: int) -> Asker:
    """An Optuna sampler with its defaults, through Optuna's own ask/tell."""
    import optuna

    from bench.runners.optuna_runner import sampler
    from sweep.run.tpe import CoordinateSpace, from_coordinates

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    values, define = Space.from_dict(space), CoordinateSpace(space)
    direction = "maximize" if mode == "max" else "minimize"
    study = optuna.create_study(direction=direction, sampler=sampler(key.removeprefix("optuna-"), seed))

    def ask() -> tuple[Any, dict[str, Any]]:
        trial = study.ask()
        define(trial)
        return trial, from_coordinates(values, trial.params)

    return Asker(ask, study.tell)


def _hyperopt(space: dict[str, Any], metric: str, mode: str, seed: int) -> Asker:
    """Ray Tune's `HyperOptSearch` (TPE of the hyperopt package) through Ray's Searcher calls, without Ray running."""
    from ray.tune.search.hyperopt import HyperOptSearch

    from sweep.run.tpe import from_coordinates

    values, count = Space.from_dict(space), itertools.count()
    searcher = HyperOptSearch(space=coordinate_domains(values), metric=metric, mode=mode, random_state_seed=seed)

    def ask() -> tuple[Any, dict[str, Any]] | None:
        trial_id = f"t{next(count)}"
        point = searcher.suggest(trial_id)
        return None if point is None else (trial_id, from_coordinates(values, point))

    return Asker(ask, lambda trial_id, value: searcher.on_trial_complete(trial_id, {metric: value}))


def coordinate_domains(space: Space) -> dict[str, Any]:
    """Ray Tune domains over the same coordinates :class:`~sweep.run.tpe.CoordinateSpace` gives Optuna."""
    from ray import tune

    domains: dict[str, Any] = {}
    for param in space.tuned():
        hint = param.scale_type.suggestion(param)
        if hint.kind == "categorical":
            domains[param.name] = tune.choice(list(hint.choices))
        elif hint.kind == "int":
            domains[param.name] = (tune.lograndint if hint.log else tune.randint)(int(hint.low), int(hint.high) + 1)
        else:
            domains[param.name] = (tune.loguniform if hint.log else tune.uniform)(hint.low, hint.high)
    return domains
