"""Plain Ray Tune as a skilled user writes it: `reuse_actors=True`, Tune's auto logger callbacks off
(`TUNE_DISABLE_AUTO_CALLBACK_LOGGERS=1`), `verbose=0`, no checkpoints, one `tune.report` per epoch, and
`ray.init(include_dashboard=False, log_to_driver=False)` on loopback (`RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`,
`RAY_USAGE_STATS_ENABLED=0`). Same ASHA as the other runners.

As in `ray_defaults`, the configs are the workload's planned ones (a grid over them) and the training math is
our loop (`trainables.loop.run_training`), so the curves agree epoch for epoch with every other runner.

Run: python -m bench.runners.ray_tuned JOB.json OUT.json
"""

from __future__ import annotations

import os

from bench.job import Phases, read_job, trial_record, tune_callback, write_out

# Ray reads these once, at import: set them before the first `import ray`.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # bind 127.0.0.1, not the machine's LAN address
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"  # no per-trial JSON/CSV/TensorBoard files
os.environ["RAY_AIR_NEW_OUTPUT"] = "0"  # Tune's new console output prints its boxes even at verbose=0

from typing import Any  # noqa: E402


def train_mlp(config: dict[str, Any]) -> None:
    import torch
    from ray import tune

    from trainables.loop import run_training
    from trainables.session import LocalSession

    torch.set_num_threads(1)  # one trial per core
    run_training({**config["plan"], "checkpoint_every": 0}, LocalSession(on_report=tune.report))  # no checkpoints


def main() -> None:
    phases = Phases()
    job, out = read_job()
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    configs: list[dict[str, Any]] = job["configs"]
    phases.mark("imports")
    ray.init(num_cpus=int(job["cores"]), include_dashboard=False, log_to_driver=False)
    phases.mark("ray_init")
    scheduler = ASHAScheduler(
        time_attr="training_iteration", grace_period=2, reduction_factor=3, max_t=int(job["epochs"])
    )
    rows: dict[str, list[dict[str, Any]]] = {}  # Tune's loggers are off: a callback keeps the curves

    def keep(trial: Any, result: dict[str, Any]) -> None:
        row = {key: result[key] for key in ("epoch", "train_seconds", "dev_accuracy") if key in result}
        rows.setdefault(trial.config["plan"]["plan_id"], []).append(row)

    tuner = tune.Tuner(
        train_mlp,
        param_space={"plan": tune.grid_search(configs)},
        tune_config=tune.TuneConfig(metric="dev_accuracy", mode="max", scheduler=scheduler, reuse_actors=True),
        run_config=tune.RunConfig(
            storage_path=job["workdir"],
            name="ray-tuned",
            verbose=0,
            callbacks=[tune_callback(keep)],
            checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=0, checkpoint_at_end=False),
        ),
    )
    tuner.fit()
    phases.mark("fit")
    trials = [trial_record(plan_id, history) for plan_id, history in rows.items()]
    phases.mark("collect")
    ray.shutdown()
    phases.mark("shutdown")
    write_out(out, trials, phases, ray_init=phases["ray_init"])


if __name__ == "__main__":
    main()
