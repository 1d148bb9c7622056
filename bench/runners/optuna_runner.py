"""Optuna, as its docs write a pruned study: RandomSampler fed the workload's configs with
`study.enqueue_trial`, SuccessiveHalvingPruner(min_resource=2, reduction_factor=3), `n_jobs` = cores
(threads in one process, Optuna's own parallelism), reporting dev_accuracy each epoch.

Run: python -m bench.runners.optuna_runner JOB.json OUT.json
"""

from __future__ import annotations

import threading
from typing import Any

import torch

from bench.runners.common import Phases, read_job, trial_record, write_out
from trainables.loop import run_training
from trainables.session import LocalSession


class _PruningSession(LocalSession):
    """Reports each epoch to the Optuna trial and stops the run when the pruner says so."""

    def __init__(self, trial: Any) -> None:
        super().__init__()
        self.trial = trial

    def report(self, metrics: dict, state: dict | None) -> None:
        import optuna

        super().report(metrics, None)
        self.trial.report(float(metrics["dev_accuracy"]), int(metrics["epoch"]))
        if self.trial.should_prune():
            raise optuna.TrialPruned()


def _suggest(trial: Any, name: str, entry: Any, value: Any) -> Any:
    """Suggest `name` from the distribution its spec entry describes; the enqueued value comes back."""
    if not isinstance(entry, dict):
        return value  # a fixed value is not searched
    if "loguniform" in entry:
        return trial.suggest_float(name, *entry["loguniform"], log=True)
    if "beta" in entry or "uniform" in entry:
        return trial.suggest_float(name, *entry.get("beta", entry.get("uniform")))
    if "int" in entry:
        return trial.suggest_int(name, *entry["int"])
    if "pow2" in entry:
        low, high = entry["pow2"]
        return trial.suggest_categorical(name, [2**k for k in range(20) if low <= 2**k <= high])
    return trial.suggest_categorical(name, [value])


def main() -> None:
    phases = Phases()
    import optuna

    job, out = read_job()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space: dict[str, Any] = job["space"]
    configs: list[dict[str, Any]] = job["configs"]
    by_params: dict[tuple, dict[str, Any]] = {}
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3),
    )
    tuned = [name for name, entry in space.items() if isinstance(entry, dict)]
    for config in configs:
        params = {name: config[name] for name in tuned}
        study.enqueue_trial(params)
        by_params[tuple(params[n] for n in tuned)] = config
    records: list[dict[str, Any]] = []
    lock = threading.Lock()

    def objective(trial: Any) -> float:
        params = {name: _suggest(trial, name, space[name], None) for name in tuned}
        config = by_params[tuple(params[n] for n in tuned)]  # the enqueued config, with its fixed keys
        session = _PruningSession(trial)
        try:
            run_training({**config, "checkpoint_every": 0}, session)
        finally:
            with lock:
                records.append(trial_record(config["plan_id"], session.history))
        return max(m["dev_accuracy"] for m in session.history)

    phases.mark("imports")
    study.optimize(objective, n_trials=len(configs), n_jobs=int(job["cores"]))
    phases.mark("optimize")
    write_out(out, records, phases)


if __name__ == "__main__":
    main()
