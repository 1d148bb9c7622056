"""Optuna as its users run it: a study with TPESampler (or RandomSampler) and SuccessiveHalvingPruner,
``n_jobs`` = cores (threads in one process), ``timeout`` = what is left of the budget.

Each parameter is suggested in its own coordinate, so every method samples the same distributions: a
``loguniform`` one with ``log=True``, ``beta`` as log10(1 − β), ``pow2`` as its base-2 exponent, ``int``
and ``uniform`` as they are, ``choice`` as a categorical. Training is our loop (``run_training``) reporting
dev_accuracy each epoch to the trial; a trial still running when the budget ends stops at its next epoch.

Run: python -m bench.quality.optuna_method JOB.json OUT.json
"""

from __future__ import annotations

import time
from typing import Any

import torch

from bench.quality.job import TrialRecorder, base_config, job_space, read_job, write_result
from search_spaces import Param, Space
from trainables.loop import run_training
from trainables.session import LocalSession


class _BudgetSpent(Exception):
    """Raised inside a trial whose next epoch would start after the budget."""


def suggest(trial: Any, param: Param) -> Any:
    """One parameter's value, suggested in the parameter's own coordinate (see the module docstring).

    Example:
        >>> import optuna
        >>> t = optuna.create_study().ask()
        >>> 0.8 <= suggest(t, Param.from_entry("b", {"beta": [0.8, 0.95]})) <= 0.95
        True
    """
    if param.is_fixed:
        return (param.levels() or [None])[0]
    hint = param.scale_type.suggestion(param)
    if hint.kind == "categorical":
        return trial.suggest_categorical(param.name, list(hint.choices))
    name = param.scale_type.coordinate_name(param) if hint.in_coordinate else param.name
    if hint.kind == "int":
        number = trial.suggest_int(name, int(hint.low), int(hint.high), log=hint.log)
    else:
        number = trial.suggest_float(name, hint.low, hint.high, log=hint.log)
    if not hint.in_coordinate:
        return number
    value = param.from_coord(number)
    low, high = param.bounds()
    return min(max(value, low), high) if param.is_continuous else value


def sample_config(trial: Any, space: Space) -> dict[str, Any]:
    """A full config: every parameter of the space, suggested or fixed."""
    return {name: suggest(trial, param) for name, param in space.items()}


class _PruningSession(LocalSession):
    """Reports each epoch to the trial and the recorder; stops when the pruner or the budget says so."""

    def __init__(self, trial: Any, config: dict[str, Any], recorder: TrialRecorder) -> None:
        super().__init__()
        self.trial, self.config, self.recorder = trial, config, recorder

    def report(self, metrics: dict, state: dict | None) -> None:
        import optuna

        self.recorder.add(str(self.trial.number), self.config, int(metrics["epoch"]), float(metrics["dev_accuracy"]))
        self.trial.report(float(metrics["dev_accuracy"]), int(metrics["epoch"]))
        if self.recorder.past_deadline():
            raise _BudgetSpent
        if self.trial.should_prune():
            raise optuna.TrialPruned()


def main() -> None:
    import optuna

    job, out = read_job()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = job_space(job)
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
        config = {**sample_config(trial, space), **base_config(job)}
        session = _PruningSession(trial, config, recorder)
        try:
            run_training(config, session)
        except _BudgetSpent:
            pass  # the budget ended mid-trial: what it reported stands, as its best so far
        return max((m["dev_accuracy"] for m in session.history), default=0.0)

    remaining = job["deadline"] - time.time()
    study.optimize(objective, n_trials=job.get("max_trials"), timeout=max(remaining, 0.0), n_jobs=int(job["cores"]))
    write_result(out, recorder.records())


if __name__ == "__main__":
    main()
