"""Run given configs of any Ray Tune function trainable through a minimal Tune run, and collect its reports.

A user's trainable written from Ray's docs calls ``tune.report`` and ``tune.get_checkpoint``; outside a Tune
session Ray drops those reports with a warning, so `sweep train` and `sweep retest` run such a trainable the
way `launch` does: a Tuner with exactly the given configs (no scheduler, no search), on a local Ray or the
one this process already joined. Each report's metrics arrive through a callback, one call per epoch
(a batched report of a built-in trainable is expanded, as the recorder does).

Example:
    >>> from sweep.run.one_trial import run_configs
    >>> histories = run_configs("mypkg.train:train", [{"lr": 0.1, "epochs": 3}])  # doctest: +SKIP
    >>> histories[0][-1]["dev_accuracy"]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sweep.tracking import epoch_rows
from sweep_errors import SweepError

OnEpoch = Callable[[int, dict[str, Any]], None]
JOB = "sweep_job"  # Tune's config holds only the index of the config to run


def train_once(spec: Any, config: dict[str, Any], when: str, **options: Any) -> list[dict[str, Any]]:
    """One trial of the spec's trainable with `config` (its resources, its project's modules), as
    :func:`run_configs` runs it; its reported epochs, or a one-line SweepError naming `when` it failed."""
    from sweep.cluster.launcher import project_dir

    (history,) = run_configs(
        spec.trainable, [config], cpus_per_trial=spec.resources.cpu, gpus_per_trial=spec.resources.gpu,
        project=project_dir(spec), **options,
    )  # fmt: skip
    if "error" in history[-1]:
        raise SweepError(f"trainable {spec.trainable!r} failed{when}: {history[-1]['error']}")
    return history


def run_configs(
    trainable: str | Callable[[dict], Any],
    configs: list[dict[str, Any]],
    *,
    cpus_per_trial: float = 1,
    gpus_per_trial: float = 0,
    address: str | None = None,
    cpus: int | None = None,
    project: Path | None = None,
    on_epoch: OnEpoch | None = None,
    max_epochs: int | None = None,
) -> list[list[dict[str, Any]]]:
    """Trains each config once with the trainable (in parallel as resources allow); returns each one's epochs.

    Args:
        trainable: ``package.module:function``, a built-in name, or the function itself.
        configs: the configs, passed to the trainable exactly as given.
        cpus_per_trial, gpus_per_trial: each trial's resources.
        address, cpus: the Ray to use, as for `sweep launch` (an initialised Ray in this process is joined).
        project: the user's project directory (the spec's): its modules import here and travel to the
            workers in Ray's runtime environment, as for `launch`. None: nothing is shipped.
        on_epoch: called with (config index, metrics) for each reported epoch, as results arrive.
        max_epochs: stop each trial after this many reports (`sweep validate --try`); None: as it runs.

    Returns:
        Per config, in order: its reported epochs' metrics (numbers only), or ``[{"error": ...}]``.

    Raises:
        SweepError: the trainable cannot be resolved.
    """
    from sweep.cluster.launcher import runtime_env
    from sweep.cluster.local import connect, disconnect, requested_address
    from trainables.registry import resolve_trainable

    if project is not None and str(project) not in sys.path:
        sys.path.insert(0, str(project))
    function = trainable if callable(trainable) else resolve_trainable(trainable)
    ship_by_value(function)
    local = requested_address(address)[0] is None  # as a launch: a local Ray's workers enter the project itself
    env = runtime_env(project, True, str(project / ".sweep-none"), local=local) if project is not None else None
    connection = connect(address, cpus, dashboard=False, runtime_env=env)
    from ray import tune
    from ray.tune.progress_reporter import TrialProgressCallback

    histories: list[list[dict[str, Any]]] = [[] for _ in configs]

    class Collect(tune.Callback):
        def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
            index = int(trial.config[JOB])
            for row in epoch_rows(result):
                histories[index].append(row)
                if on_epoch is not None:
                    on_epoch(index, row)

    class Silent(TrialProgressCallback):
        """Tune's own per-trial lines ("Trial run_one_... completed. Last result: ..."): the caller prints epochs."""

        def _print(self, msg: str) -> None:
            pass

    def run_one(config: dict[str, Any]) -> Any:
        return function(dict(configs[int(config[JOB])]))  # the trainable sees exactly the config given

    try:
        with tempfile.TemporaryDirectory(prefix="sweep-one-") as storage:
            tuner = tune.Tuner(
                tune.with_resources(run_one, {"cpu": cpus_per_trial, "gpu": gpus_per_trial}),
                param_space={JOB: tune.grid_search(list(range(len(configs))))},
                # one actor per concurrent slot, reused by the next config: a fresh actor per config pays the
                # imports (torch, ray.tune: ~3 CPU-s) and the data loading again (a retest runs several)
                tune_config=tune.TuneConfig(reuse_actors=True),
                run_config=tune.RunConfig(
                    storage_path=storage,
                    callbacks=[Collect(), Silent()],
                    verbose=0,
                    failure_config=tune.FailureConfig(0),
                    stop={"training_iteration": max_epochs} if max_epochs is not None else None,
                ),
            )
            with _quiet_tune():
                grid = tuner.fit()
            for result in (grid[position] for position in range(len(grid))):  # a ResultGrid has no __iter__
                if result.error is not None:
                    index = int((result.config or {})[JOB])
                    text = str(result.error).strip().splitlines()
                    histories[index] = histories[index] or [{}]
                    histories[index][-1] = {**histories[index][-1], "error": text[-1] if text else "error"}
    finally:
        disconnect(connection)
    if any(not h for h in histories):
        missing = [i for i, h in enumerate(histories) if not h]
        raise SweepError(
            f"trainable reported nothing for config(s) {missing}: a trainable must call "
            "ray.tune.report({...}) once per epoch (see docs/trainable.md, the contract)"
        )
    return histories


# Tune's loggers this run silences, and from which level on they may still print. A trial's error is returned
# (its last line) to the caller, which reports it once: Tune's own ERROR line with the whole traceback would
# print it a second time, as a crash ("Trials did not complete: ..." too). The run's Tune state lives in a
# temporary directory thrown away at the end: a failure to save it (Ray's background copy races its own
# atomic renames) or a slow save is no news to the user.
QUIETED = {
    "ray.tune.analysis.experiment_analysis": logging.ERROR,
    "ray.tune.execution.tune_controller": logging.CRITICAL,
    "ray.tune.tune": logging.CRITICAL,
    "ray.tune.execution.experiment_state": logging.CRITICAL,
}


@contextlib.contextmanager
def _quiet_tune() -> Iterator[None]:
    """Tune's :data:`QUIETED` loggers quiet while the run lasts, as they were afterwards (a caller's own
    Tune runs in this process log as before)."""
    levels = {name: logging.getLogger(name).level for name in QUIETED}
    for name, level in QUIETED.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def ship_by_value(function: Callable[..., Any]) -> None:
    """Pickle a user's trainable module by value: workers of a Ray this process joined (no runtime env of
    ours) or a notebook's function (no module file) then need nothing importable."""
    import ray.cloudpickle

    module = sys.modules.get(getattr(function, "__module__", "") or "")
    name = getattr(module, "__name__", "")
    if module is None or name == "__main__" or name.split(".")[0] in ("sweep", "trainables", "search_spaces"):
        return
    ray.cloudpickle.register_pickle_by_value(module)
