"""Running a retest's jobs: each (config, seed) trained at full budget on Ray, one result row per job.

A built-in trainable runs as one Ray task per job through its `train_and_test`, which also scores the
held-out test split once. A user's own function trainable (``package.module:function``) runs each job as one
trial of a minimal Tune run (:mod:`sweep.run.one_trial`), the fresh seed reaching it as the config key
``seed``. Its last reported epoch gives the metric; it has no test split of ours, so ``test_accuracy`` is
empty unless the trainable reports one itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from search_spaces import SweepSpec
from sweep import events as E


def run_on_ray(
    jobs: list[tuple[dict[str, Any], dict[str, Any]]],
    spec: SweepSpec,
    address: str | None,
    cpus: int | None,
    observer: E.Observer | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """One Ray task per job, each with the spec's per-trial resources; rows come back in job order, and each
    goes to `on_row` as soon as its run ends (so a killed retest keeps the runs that finished); `observer` is
    told how many are done."""
    from sweep.cluster.local import connect, disconnect

    connection = connect(address, cpus, dashboard=False)  # sets Ray's environment before Ray is imported
    import ray

    try:
        task = ray.remote(num_cpus=spec.resources.cpu, num_gpus=spec.resources.gpu)(train_one)
        refs = [task.remote(spec.trainable, config, spec.resources.cpu, spec.resources.gpu) for config, _ in jobs]
        rows: dict[int, dict[str, Any]] = {}
        index = {ref: i for i, ref in enumerate(refs)}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                try:
                    metrics = ray.get(ref)
                except Exception as err:  # one failed run is a row with its error, not a lost retest
                    metrics = {"error": str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)}
                row = rows[index[ref]] = {**jobs[index[ref]][1], **_keep(metrics, spec.metric)}
                if on_row is not None:
                    on_row(row)
            E.emit(observer, E.RetestProgress(len(rows), len(refs)))
        return [rows[i] for i in range(len(refs))]
    finally:
        disconnect(connection)


def run_user_trainable(
    jobs: list[tuple[dict[str, Any], dict[str, Any]]],
    spec: SweepSpec,
    project: Path,
    address: str | None,
    cpus: int | None,
) -> list[dict[str, Any]]:
    """Every job as one trial of a minimal Tune run; a row from each one's last reported epoch."""
    from sweep.run.one_trial import run_configs

    histories = run_configs(
        spec.trainable,
        [config for config, _ in jobs],
        cpus_per_trial=spec.resources.cpu,
        gpus_per_trial=spec.resources.gpu,
        address=address,
        cpus=cpus,
        project=project,
    )
    rows = []
    for (_, keys), history in zip(jobs, histories, strict=True):
        last = dict(history[-1])
        last.setdefault("stopped_epoch", int(last.get("epoch", len(history))))
        last.setdefault("test_accuracy", math.nan)  # no test split of ours: only what the trainable reports
        rows.append({**keys, **_keep(last, spec.metric)})
    return rows


def train_one(trainable: str, config: dict[str, Any], cpus: float, gpus: float) -> dict[str, Any]:
    """Runs in a Ray task: trains one config to its full epochs, then scores the test split once."""
    import torch

    from trainables.registry import builtin

    if config.get("threads") is None:  # use the task's CPU share, not every core of the node
        torch.set_num_threads(max(1, int(cpus)))
    device = "cuda" if gpus > 0 and torch.cuda.is_available() else "cpu"
    return builtin(trainable).train_and_test(config, device=device)  # a built-in: checked on the driver


KEPT = ("dev_accuracy", "dev_loss", "test_accuracy", "test_loss", "stopped_epoch", "diverged", "train_seconds", "error")


def _keep(metrics: dict[str, Any], metric: str) -> dict[str, Any]:
    """A run's row: the sweep's metric first, then what every retest row holds."""
    return {key: metrics.get(key) for key in dict.fromkeys([metric, *KEPT])}
