"""Plain Ray Tune, hand-tuned the way an experienced user writes it: a function trainable with one
``tune.report`` per epoch and no checkpoints, ``Tuner`` with random search over the space's Tune domains
(``sweep.run.tune_domains``: the same scales as sweep's sampler), ``ASHAScheduler`` with the preset's grace
period and reduction factor, ``reuse_actors=True``, Ray's automatic logger callbacks off
(``TUNE_DISABLE_AUTO_CALLBACK_LOGGERS=1``), ``verbose=0``, ``time_budget_s`` = what is left of the budget,
``ray.init(include_dashboard=False, log_to_driver=False)``, and a driver callback recording each report.

Run: python -m bench.quality.ray_method JOB.json OUT.json
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench.job import TrialRecorder, base_config, job_space, read_job, tune_callback, write_out
from sweep.run.tune_domains import to_tune_domains


def train_mlp(config: dict[str, Any]) -> None:
    from ray import tune

    from trainables.loop import run_training
    from trainables.session import LocalSession

    def report(metrics: dict[str, Any]) -> None:  # one `tune.report` per epoch with its wall-clock time
        tune.report({"epoch": metrics["epoch"], "dev_accuracy": metrics["dev_accuracy"], "reported_at": time.time()})

    run_training(config, LocalSession(on_report=report))  # no checkpoints


def main() -> None:
    job, out = read_job()
    os.environ.update(
        RAY_USAGE_STATS_ENABLED="0", RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", TUNE_DISABLE_AUTO_CALLBACK_LOGGERS="1"
    )
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.basic_variant import BasicVariantGenerator

    space = job_space(job)
    ray.init(address="local", num_cpus=int(job["cores"]), include_dashboard=False, log_to_driver=False)
    scheduler = ASHAScheduler(
        time_attr="training_iteration",
        grace_period=int(job["grace_period"]),
        reduction_factor=int(job["reduction_factor"]),
        max_t=int(job["epochs"]),
    )
    recorder = TrialRecorder(job["launched_at"], job["deadline"])
    remaining = max(job["deadline"] - time.time(), 1.0)
    record = tune_callback(  # every report, stamped with the time the trial sent it
        lambda trial, r: recorder.add(
            trial.trial_id, dict(trial.config), r["epoch"], r["dev_accuracy"], r["reported_at"]
        )
    )
    tuner = tune.Tuner(
        tune.with_resources(train_mlp, {"cpu": 1}),
        param_space={**to_tune_domains(space), **base_config(job)},
        tune_config=tune.TuneConfig(
            metric="dev_accuracy",
            mode="max",
            scheduler=scheduler,
            search_alg=BasicVariantGenerator(random_state=int(job["seed"])),
            num_samples=int(job.get("max_trials") or 100_000),  # the budget ends the search
            time_budget_s=remaining,
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(storage_path=job["workdir"], name="ray", verbose=0, callbacks=[record]),
    )
    tuner.fit()
    ray.shutdown()
    write_out(out, recorder.records())


if __name__ == "__main__":
    main()
