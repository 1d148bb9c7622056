"""Plain Ray Tune, written the way Ray's docs write it: a function trainable that reports each epoch with
a checkpoint, `Tuner` + `ASHAScheduler(time_attr="training_iteration", grace_period=2, reduction_factor=3,
max_t=epochs)`, and Ray's defaults for the rest (no `reuse_actors`, the default JSON/CSV/TensorBoard
loggers, the default console reporter, the dashboard).

The training math is our loop (`trainables.loop.run_training`) so the curves match the other runners; the
reporting is the docs' pattern, which `trainables.session.TuneSession` follows when it reports every epoch: write
the state into a temporary directory, `tune.report(metrics, checkpoint=Checkpoint.from_directory(dir))`.

Run: python -m bench.runners.ray_defaults JOB.json OUT.json
"""

from __future__ import annotations

import os
from typing import Any

from bench.job import Phases, TrialRecorder, asha, read_job, train, write_out
from trainables.session import TuneSession  # the driver imports torch with it, as a docs script does


def train_trial(config: dict[str, Any]) -> None:
    # the docs' checkpoint each report: checkpoint_every=1 (the trainable's default), each epoch reported
    train({**config["plan"], "checkpoint_every": 1}, TuneSession())


def main() -> None:
    phases = Phases()
    job, out = read_job()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # the bench machine has no way out
    import ray
    from ray import tune

    configs: list[dict[str, Any]] = job["configs"]
    phases.mark("imports")
    ray.init(num_cpus=int(job["cores"]))
    phases.mark("ray_init")
    tuner = tune.Tuner(
        train_trial,
        # a grid over the planned configs: every runner trains the same ones, in plan order
        param_space={"plan": tune.grid_search(configs)},
        tune_config=tune.TuneConfig(metric="dev_accuracy", mode="max", scheduler=asha(job)),
        run_config=tune.RunConfig(storage_path=job["workdir"], name="ray-defaults"),
    )
    results = tuner.fit()
    phases.mark("fit")
    recorder = TrialRecorder(job)
    for result in results:  # from Tune's own loggers' files, as the docs read results back
        history = result.metrics_dataframe.to_dict("records") if result.metrics_dataframe is not None else []
        for row in history:
            recorder.add(result.config["plan"]["plan_id"], result.config["plan"], row, now=row["timestamp"])
    phases.mark("collect")
    ray.shutdown()
    phases.mark("shutdown")
    write_out(out, recorder.records(), phases, ray_init=phases.values["ray_init"])


if __name__ == "__main__":
    main()
