"""Optuna, as its docs write a pruned study: RandomSampler fed the workload's configs with
`study.enqueue_trial`, SuccessiveHalvingPruner(min_resource=2, reduction_factor=3), `n_jobs` = cores
(threads in one process, Optuna's own parallelism), reporting dev_accuracy each epoch.

Run: python -m bench.runners.optuna_runner JOB.json OUT.json
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import torch

from bench.job import Phases, read_job, trial_record, write_out
from search_spaces import Space
from sweep.run.tpe import CoordinateSpace, coordinates
from trainables.loop import run_training
from trainables.session import LocalSession


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

    job, out = read_job()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = Space.from_dict(job["space"])
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3),
    )
    config_of = enqueue(study, space, job["configs"])
    records: list[dict[str, Any]] = []
    lock = threading.Lock()

    def objective(trial: Any) -> float:
        config = config_of(trial)

        def report(metrics: dict[str, Any]) -> None:  # each epoch to the trial; the pruner may stop it
            trial.report(float(metrics["dev_accuracy"]), int(metrics["epoch"]))
            if trial.should_prune():
                raise optuna.TrialPruned()

        session = LocalSession(on_report=report)
        try:
            run_training({**config, "checkpoint_every": 0}, session)
        finally:
            with lock:
                records.append(trial_record(config["plan_id"], session.history))
        return max(m["dev_accuracy"] for m in session.history)

    phases.mark("imports")
    study.optimize(objective, n_trials=len(job["configs"]), n_jobs=int(job["cores"]))
    phases.mark("optimize")
    write_out(out, records, phases)


if __name__ == "__main__":
    main()
