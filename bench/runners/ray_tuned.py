"""Plain Ray Tune as a skilled user writes it, for both benches: `reuse_actors=True`, Tune's auto logger callbacks
off (`TUNE_DISABLE_AUTO_CALLBACK_LOGGERS=1`), `verbose=0`, no checkpoints, one `tune.report` per epoch, and
`ray.init(include_dashboard=False, log_to_driver=False)` on loopback (`RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`,
`RAY_USAGE_STATS_ENABLED=0`); `ASHAScheduler` with the job's grace period and reduction factor. A driver callback
records each report, stamped with the time the trial sent it.

The training math is our loop (`trainables.loop.run_training`). A cost-bench job lists the configs (a grid over
them, in plan order), so the curves agree epoch for epoch with every other runner; a quality-bench job searches
at random over the space's Tune domains (`sweep.run.tune_domains`: the same scales as sweep's sampler), seeded,
with `time_budget_s` = what is left of its deadline.

Run: python -m bench.runners.ray_tuned JOB.json OUT.json
"""

from __future__ import annotations

import os

from bench.job import Phases, TrialRecorder, asha, read_job, train, write_out

# Ray reads these once, at import: set them before the first `import ray`.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # bind 127.0.0.1, not the machine's LAN address
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"  # no per-trial JSON/CSV/TensorBoard files
os.environ["RAY_AIR_NEW_OUTPUT"] = "0"  # Tune's new console output prints its boxes even at verbose=0

import math  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402


def train_trial(config: dict[str, Any]) -> None:
    import torch
    from ray import tune

    from trainables.session import LocalSession

    def report(metrics: dict[str, Any]) -> None:  # one `tune.report` per epoch with its wall-clock time
        tune.report({**metrics, "reported_at": time.time()})

    torch.set_num_threads(1)  # one trial per core
    train({**config["plan"], "checkpoint_every": 0}, LocalSession(on_report=report))  # no checkpoints


def main() -> None:
    phases = Phases()
    job, out = read_job()
    import ray
    from ray import tune
    from ray.tune.search.basic_variant import BasicVariantGenerator

    from search_spaces import Space
    from sweep.run.tune_domains import to_tune_domains

    phases.mark("imports")
    ray.init(num_cpus=int(job["cores"]), include_dashboard=False, log_to_driver=False)
    phases.mark("ray_init")
    configs, recorder = job.get("configs"), TrialRecorder(job)
    plans = tune.grid_search(configs) if configs else {**to_tune_domains(Space.from_dict(job["space"])), **job["base"]}

    class Record(tune.Callback):  # Tune's loggers are off: every report, stamped with the time the trial sent it
        def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
            plan = trial.config["plan"]
            recorder.add(str(plan.get("plan_id", trial.trial_id)), plan, result, result["reported_at"])

        def __reduce__(self) -> Any:  # the experiment snapshot pickles callbacks; what they fill stays here
            return (tune.Callback, ())

    tuner = tune.Tuner(
        train_trial,
        param_space={"plan": plans},
        tune_config=tune.TuneConfig(
            metric="dev_accuracy",
            mode="max",
            scheduler=asha(job),
            search_alg=BasicVariantGenerator(random_state=int(job.get("seed", 0))),
            num_samples=1 if configs else int(job.get("max_trials") or 100_000),  # a search ends at its deadline
            time_budget_s=None if math.isinf(recorder.deadline) else max(recorder.deadline - time.time(), 1.0),
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(
            storage_path=job["workdir"],
            name="ray-tuned",
            verbose=0,
            callbacks=[Record()],
            checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=0, checkpoint_at_end=False),
        ),
    )
    tuner.fit()
    phases.mark("fit")
    trials = recorder.records()
    phases.mark("collect")
    ray.shutdown()
    phases.mark("shutdown")
    write_out(out, trials, phases, ray_init=phases.values["ray_init"])


if __name__ == "__main__":
    main()
