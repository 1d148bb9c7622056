"""The methods the tabular bench compares, each behind one ask/tell face: ``ask() -> (handle, config) | None``,
``tell(handle, value)``.

Every method sees the same space (the spec's, on the course's scales): sweep's through its public `Planner`;
Optuna's samplers and Ray Tune's HyperOpt searcher through the one coordinate mapping sweep's own `sampler: tpe`
uses (:class:`sweep.run.tpe.CoordinateSpace`: log10 α natively, log2 of a batch size, log10(1 − β) as plain
ranges), turned back into values by :func:`sweep.run.tpe.from_coordinates`.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from search_spaces import Space

SWEEP, OPTUNA, RAY = "sweep", "optuna", "ray"


class Asker(Protocol):
    def ask(self) -> tuple[Any, dict[str, Any]] | None: ...

    def tell(self, handle: Any, value: float) -> None: ...


@dataclass(frozen=True)
class Method:
    """One compared method: its key, label, family, and (for sweep) the spec's changes."""

    key: str
    label: str
    runner: str
    spec: dict[str, Any] = field(default_factory=dict)  # sweep: keys over the base spec ({"rounds": 3}, ...)
    staged: bool = False
    budget_rounds: int = 0  # sweep: samples per round = ceil(budget / this), 0: the spec's rounds, -1: staged's

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
        Method("sweep-staged", "sweep --staged", SWEEP, {"rounds": 1}, staged=True, budget_rounds=-1),
        Method("sweep-tpe", "sweep sampler: tpe", SWEEP, {"sampler": "tpe", "rounds": 1}),
        Method("optuna-tpe", "Optuna TPE (defaults)", OPTUNA),
        Method("optuna-gp", "Optuna GPSampler", OPTUNA),
        Method("optuna-random", "Optuna random", OPTUNA),
        Method("ray-hyperopt", "Ray Tune HyperOptSearch", RAY),
    )
}


def make(method: Method, space: dict[str, Any], metric: str, mode: str, budget: int, workers: int, seed: int,
         scratch: Path) -> Asker:  # fmt: skip
    """The method's asker for one run."""
    if method.runner == SWEEP:
        return SweepAsker(method, space, metric, mode, budget, workers, seed, scratch)
    if method.runner == OPTUNA:
        return OptunaAsker(method.key, space, mode, seed)
    return HyperOptAsker(space, metric, mode, seed)


class SweepAsker:
    """sweep's recipe through the public ask/tell `Planner` (one code path with the Tuner's searcher)."""

    def __init__(self, method: Method, space: dict[str, Any], metric: str, mode: str, budget: int, workers: int,
                 seed: int, scratch: Path) -> None:  # fmt: skip
        from search_spaces import parse_spec
        from sweep import Planner

        spec: dict[str, Any] = {"name": "tabular", "metric": metric, "mode": mode, "seed": seed, "space": space}
        spec.update(method.spec)
        rounds = parse_spec(spec).rounds.count
        per = method.budget_rounds or rounds
        if per < 0:  # staged: each tier's rounds share the budget
            per = len(Space.from_dict(space).tiers()) * rounds
        spec["samples"] = math.ceil(budget / per)
        directory = Path(tempfile.mkdtemp(prefix="plan-", dir=scratch))
        # the scratch directory goes when the bench ends: no disk sync per proposal (it changes no proposal)
        self.planner = Planner(spec, workers=workers, directory=directory, staged=method.staged, durable=False)

    def ask(self) -> tuple[Any, dict[str, Any]] | None:
        config = self.planner.ask()
        return None if config is None else (config, config)

    def tell(self, handle: Any, value: float) -> None:
        self.planner.tell(handle, value)


class OptunaAsker:
    """An Optuna sampler with its defaults, through Optuna's own ask/tell."""

    def __init__(self, key: str, space: dict[str, Any], mode: str, seed: int) -> None:
        import optuna

        from bench.runners.optuna_runner import sampler
        from sweep.run.tpe import CoordinateSpace

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.space = Space.from_dict(space)
        self.define = CoordinateSpace(space)
        direction = "maximize" if mode == "max" else "minimize"
        self.study = optuna.create_study(direction=direction, sampler=sampler(key.removeprefix("optuna-"), seed))

    def ask(self) -> tuple[Any, dict[str, Any]] | None:
        from sweep.run.tpe import from_coordinates

        trial = self.study.ask()
        self.define(trial)
        return trial, from_coordinates(self.space, trial.params)

    def tell(self, handle: Any, value: float) -> None:
        self.study.tell(handle, value)


class HyperOptAsker:
    """Ray Tune's `HyperOptSearch` (TPE of the hyperopt package) through Ray's Searcher calls, without Ray running."""

    def __init__(self, space: dict[str, Any], metric: str, mode: str, seed: int) -> None:
        from ray.tune.search.hyperopt import HyperOptSearch

        self.space = Space.from_dict(space)
        self.metric = metric
        self.searcher = HyperOptSearch(space=coordinate_domains(self.space), metric=metric, mode=mode,
                                       random_state_seed=seed)  # fmt: skip
        self.count = 0

    def ask(self) -> tuple[Any, dict[str, Any]] | None:
        from sweep.run.tpe import from_coordinates

        trial_id = f"t{self.count}"
        self.count += 1
        point = self.searcher.suggest(trial_id)
        return None if point is None else (trial_id, from_coordinates(self.space, point))

    def tell(self, handle: Any, value: float) -> None:
        self.searcher.on_trial_complete(handle, {self.metric: value})


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
