"""Optuna as its users run it, for both benches: a study with SuccessiveHalvingPruner (the job's grace period and
reduction factor), `n_jobs` = cores (threads in one process, Optuna's own parallelism), dev_accuracy reported to
the trial each epoch, training by our loop (`bench.job.train`: the model the job's `trainable` names), no checkpoints.

Each parameter is suggested in its own coordinate by the mapping `sampler: tpe` uses
(:class:`sweep.run.tpe.CoordinateSpace`: a ``loguniform`` one with ``log=True``, ``beta`` as log10(1 − β), ``pow2``
as its base-2 exponent, ``int`` and ``uniform`` as they are, ``choice`` as a categorical), so every method samples
the same distributions. A cost-bench job lists the configs: RandomSampler fed them with `study.enqueue_trial`. A
quality-bench job names the sampler (TPE or random, seeded) that draws them, and a deadline: `timeout` = what is
left of it, and a trial still running when it passes stops at its next epoch.

Run: python -m bench.runners.optuna_runner JOB.json OUT.json
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from typing import Any

from bench.job import Phases, TrialRecorder, read_job, train, write_out
from search_spaces import Space
from sweep.run.tpe import CoordinateSpace, coordinates, from_coordinates

SAMPLERS = {"tpe": "TPESampler", "gp": "GPSampler", "random": "RandomSampler"}


class _BudgetSpent(Exception):
    """Raised inside a trial whose next epoch would start after the deadline."""


def sampler(name: str, seed: int) -> Any:
    """Optuna's sampler `name` (tpe, gp or random) with its defaults, seeded: every bench's Optuna peer."""
    import optuna

    return getattr(optuna.samplers, SAMPLERS[name])(seed=seed)


def enqueue(study: Any, space: Space, configs: list[dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """Queues `configs` in the study as `sampler: tpe` draws them (sweep's own coordinates: log10(1 − β), log2 of
    a batch size); returns what the objective calls on a trial: its parameters suggested, its config back."""
    define, by_plan = CoordinateSpace(space.to_dict()), {c["plan_id"]: c for c in configs}
    for plan, config in by_plan.items():
        study.enqueue_trial(coordinates(space, config), user_attrs={"plan_id": plan})

    def config_of(trial: Any) -> dict[str, Any]:
        define(trial)  # the enqueued values come back
        return by_plan[trial.user_attrs["plan_id"]]

    return config_of


def main() -> None:
    phases = Phases()
    import optuna
    import torch

    from trainables.session import LocalSession

    job, out = read_job()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space, configs, recorder = Space.from_dict(job["space"]), job.get("configs"), TrialRecorder(job)
    study = optuna.create_study(
        direction="maximize",
        sampler=sampler(job.get("sampler", "random"), int(job.get("seed", 0))),
        pruner=optuna.pruners.SuccessiveHalvingPruner(
            min_resource=int(job["grace_period"]), reduction_factor=int(job["reduction_factor"])
        ),
    )
    define = CoordinateSpace(space.to_dict())

    def drawn(trial: Any) -> dict[str, Any]:  # the sampler's draw as values, with what every config carries
        define(trial)
        return {**from_coordinates(space, trial.params), **job["base"]}

    config_of = enqueue(study, space, configs) if configs else drawn

    def objective(trial: Any) -> float:
        config = config_of(trial)
        name = str(config.get("plan_id", trial.number))

        def report(metrics: dict[str, Any]) -> None:  # to the recorder and the trial; deadline or pruner stops it
            recorder.add(name, config, metrics)
            trial.report(float(metrics["dev_accuracy"]), int(metrics["epoch"]))
            if recorder.past_deadline():
                raise _BudgetSpent
            if trial.should_prune():
                raise optuna.TrialPruned()

        session = LocalSession(on_report=report)
        with contextlib.suppress(_BudgetSpent):  # the budget ended mid-trial: what it reported stands, as its best
            train({**config, "checkpoint_every": 0}, session)
        return max((m["dev_accuracy"] for m in session.history), default=0.0)

    phases.mark("imports")
    timeout = None if math.isinf(recorder.deadline) else max(recorder.deadline - time.time(), 0.0)
    trials = len(configs) if configs else job.get("max_trials")
    study.optimize(objective, n_trials=trials, timeout=timeout, n_jobs=int(job["cores"]))
    phases.mark("optimize")
    write_out(out, recorder.records(), phases)


if __name__ == "__main__":
    main()
