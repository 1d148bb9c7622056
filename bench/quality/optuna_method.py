"""Optuna as its users run it: a study with TPESampler (or RandomSampler) and SuccessiveHalvingPruner,
``n_jobs`` = cores (threads in one process), ``timeout`` = what is left of the budget.

Each parameter is suggested in its own coordinate by the mapping ``sampler: tpe`` uses
(:class:`sweep.run.tpe.CoordinateSpace`: a ``loguniform`` one with ``log=True``, ``beta`` as log10(1 − β),
``pow2`` as its base-2 exponent, ``int`` and ``uniform`` as they are, ``choice`` as a categorical), so every
method samples the same distributions. Training is our loop (``run_training``) reporting
dev_accuracy each epoch to the trial; a trial still running when the budget ends stops at its next epoch.

Run: python -m bench.quality.optuna_method JOB.json OUT.json
"""

from __future__ import annotations

import time
from typing import Any

import torch

from bench.job import TrialRecorder, base_config, job_space, read_job, write_out
from sweep.run.tpe import CoordinateSpace, from_coordinates
from trainables.loop import run_training
from trainables.session import LocalSession


class _BudgetSpent(Exception):
    """Raised inside a trial whose next epoch would start after the budget."""


def main() -> None:
    import optuna

    job, out = read_job()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = job_space(job)
    define = CoordinateSpace(space.to_dict())
    recorder = TrialRecorder(job["launched_at"], job["deadline"])
    seed = int(job["seed"])
    sampler = (
        optuna.samplers.TPESampler(seed=seed)
        if job["options"]["sampler"] == "tpe"
        else optuna.samplers.RandomSampler(seed=seed)
    )
    study = optuna.create_study(
        direction="maximize",
        sampler=sampler,
        pruner=optuna.pruners.SuccessiveHalvingPruner(
            min_resource=int(job["grace_period"]), reduction_factor=int(job["reduction_factor"])
        ),
    )

    def objective(trial: Any) -> float:
        define(trial)
        config = {**from_coordinates(space, trial.params), **base_config(job)}

        def report(metrics: dict[str, Any]) -> None:  # to the recorder and the trial; the budget or pruner may stop it
            recorder.add(str(trial.number), config, int(metrics["epoch"]), float(metrics["dev_accuracy"]))
            trial.report(float(metrics["dev_accuracy"]), int(metrics["epoch"]))
            if recorder.past_deadline():
                raise _BudgetSpent
            if trial.should_prune():
                raise optuna.TrialPruned()

        session = LocalSession(on_report=report)
        try:
            run_training(config, session)
        except _BudgetSpent:
            pass  # the budget ended mid-trial: what it reported stands, as its best so far
        return max((m["dev_accuracy"] for m in session.history), default=0.0)

    remaining = job["deadline"] - time.time()
    study.optimize(objective, n_trials=job.get("max_trials"), timeout=max(remaining, 0.0), n_jobs=int(job["cores"]))
    write_out(out, recorder.records())


if __name__ == "__main__":
    main()
