"""Builds (or restores) the one Ray Tune `Tuner` that runs a sweep's rounds."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ray import tune
from ray.tune.schedulers import TrialScheduler
from ray.tune.search import Searcher

from search_spaces import Space, SweepSpec
from sweep.run import restored_tuner
from sweep.run.budget import Budget
from sweep.run.mirror_push import MirrorPush
from sweep.run.ray_log import RayLogHere
from sweep.run.recorder import SweepInfo, SweepRecorder
from sweep.run.search_generator import RelocatingSearchGenerator
from sweep.run.searcher import RecipeSearcher
from sweep.run.state_signer import StateSigner
from sweep.run.stoppers import BudgetStopper, make_stopper
from sweep.run.sweep_plan import SweepPlan
from sweep.run.sweep_run import SweepRun
from sweep.run.trial_guard import guard
from sweep.schedulers import RayContext, get_scheduler

# Retries per trial when its worker dies (a lost node, an OOM kill); a trial restarts from its checkpoint.
MAX_FAILURES = 2
PENDING_ENV = "TUNE_MAX_PENDING_TRIALS_PG"
# A batching trial reports at its scheduler's milestones, at its last epoch, and otherwise at least this often.
REPORT_SECONDS = 1.0


def batches_reports(spec: SweepSpec) -> bool:
    """Built-in trainables batch epochs into fewer reports, unless the scheduler decides on every epoch (PBT)
    or early stopping does (its Stopper can only stop a trial when it reports)."""
    from trainables.registry import BUILTINS

    record = BUILTINS.get(spec.trainable)
    if spec.early_stopping is not None:
        return False
    return record is not None and record.batches_reports and get_scheduler(spec.scheduler.type).batches_reports


def with_resources(
    trainable: Callable[..., None], spec: SweepSpec, milestones: tuple[int, ...], fail_fast: bool = False
) -> Any:
    """The trainable as Tune runs it: guarded (its own errors are results, not retried; with --fail-fast Ray
    sees them, to stop the sweep), the spec's resources per trial, and its report policy."""
    # Always guarded: with --fail-fast its errors reach Ray (to stop the sweep), its contract checks still apply.
    trainable = guard(trainable, spec.metric, catch_errors=not fail_fast, timeout=spec.trial_timeout)
    if batches_reports(spec):
        from trainables.session import ReportPolicy

        policy = ReportPolicy(frozenset(milestones), REPORT_SECONDS)
        trainable = tune.with_parameters(trainable, reporting=policy)
    return tune.with_resources(trainable, {"cpu": spec.resources.cpu, "gpu": spec.resources.gpu})


def make_scheduler(
    spec: SweepSpec, max_t: int, space: Space | None = None, sweep_root: str | None = None
) -> tuple[TrialScheduler, tuple[int, ...]]:
    """Ray's scheduler for the spec (one for every round), and its milestones.

    A batching trial reports `epoch` at every milestone, so the scheduler counts epochs; another trainable is
    assumed to report once per epoch, so its iterations are epochs.
    """
    plugin = get_scheduler(spec.scheduler.type)
    time_attr = "epoch" if batches_reports(spec) else "training_iteration"
    context = RayContext(spec, max_t, time_attr, spec.space if space is None else space, sweep_root)
    return plugin.make(context), plugin.milestones(spec.scheduler, max_t)


def pending_trials(cpu_per_trial: float, cluster_cpus: float, max_concurrent: int | None) -> int:
    """How many trials Ray may queue ahead of the running ones: one per slot the cluster can run at once.

    Ray queues a single trial ahead of a custom searcher, and starts one worker at a time for it; with
    short trials and reused workers the second worker never comes up and a 2-core sweep runs on one core.

    Example:
        >>> pending_trials(1, 2.0, None), pending_trials(0.5, 16.0, 4), pending_trials(4, 2.0, None)
        (2, 4, 1)
    """
    slots = int(cluster_cpus // cpu_per_trial) if cpu_per_trial > 0 else 1
    if max_concurrent is not None:
        slots = min(slots, max_concurrent)
    return max(slots, 1)


def make_searcher(plan: SweepPlan, budget: Budget | None, eager: bool = False) -> Searcher:
    """The searcher for the spec's sampler: the coarse-to-fine recipe, or Optuna's TPE.

    `eager`: never wait for results before planning the next round (the ask/tell `Planner`, whose caller asks
    only when a worker is free); the Tuner's searcher waits for half a round's evidence instead.
    """
    if plan.spec.get("sampler") == "tpe":
        from sweep.run.tpe import TpeSearcher

        return TpeSearcher(plan, budget)
    return RecipeSearcher(plan, budget, eager=eager)


def sweep_tuner(
    trainable: Callable[[dict], None],
    run: SweepRun,
    plan: SweepPlan,
    info: SweepInfo,
    name: str,
    budget: Budget | None,
    guards: tuple[Any, ...] = (),
) -> tune.Tuner:
    """The one Tuner for every round of the sweep (Ray's experiment `name` under the sweep's ray/): the searcher
    plans rounds, one scheduler prunes them all. Restored with Ray's own resume when Ray has a snapshot of it:
    finished trials stay finished, unfinished ones restart from their checkpoints. Each of `guards` (the
    watchdog, the full-disk stop) is both a callback, to watch, and a stopper, to end the run.

    Ray brings back the Tuner's settings as they were pickled at launch, and with them the directory the sweep
    had then: a copied or moved sweep would write its rows into the original (or re-create it at the old
    path). Ray itself re-roots the trials it restores, and the sweep's `RelocatingSearchGenerator` the ones it
    makes after the restore; the sweep's own objects (searcher, recorder, scheduler, stoppers, trackers) are
    built anew here for the directory being resumed, like at launch, every object in them bound to this sweep
    directory (`plan.directory`). The searcher's progress comes back from its saved state, which holds no path.
    """
    from sweep.run.watchdog import Watchdog, WatchedSearcher

    spec, fail_fast = run.spec, run.options.fail_fast
    prepare_pending(spec, run.max_concurrent)
    wrapped = with_resources(trainable, spec, run.milestones, fail_fast)
    path = f"{plan.directory.ray_storage}/{name}"
    tuner: tune.Tuner | None = None
    saved: tune.RunConfig | None = None
    if tune.Tuner.can_restore(path):
        tuner = restored_tuner.restore(path, wrapped)  # here, or over Ray Client in an actor on the cluster
        if plan.directory.remote is None:
            drop_foreign_staging(Path(path))
        saved = restored_tuner.saved_run_config(tuner)
        budget = _restored_budget(saved, budget)
    searcher = make_searcher(plan, budget)
    watched = next((WatchedSearcher(searcher, g) for g in guards if isinstance(g, Watchdog)), searcher)
    # where the run is now: a restore reads it from the path it restored (a copy, a moved sweep)
    at = saved if saved is not None else tune.RunConfig(name, plan.directory.ray_storage)
    tune_config = tune.TuneConfig(
        metric=spec.metric,
        mode=spec.mode,
        scheduler=make_scheduler(spec, run.max_t, run.space, info.sweep_root)[0],
        # the sweep's watchdog can end a stalled sweep through the searcher; trials created after a restore
        # go to where the sweep is now (Ray would send them to the directory of the launch)
        search_alg=RelocatingSearchGenerator(
            watched, str(at.storage_path), str(at.name), at.storage_filesystem, max_concurrent=run.max_concurrent
        ),
        num_samples=-1,  # the searcher says when the sweep is finished
        # A new worker per trial costs seconds: reuse it across trials and rounds. Not with a trial time
        # limit: a hung trial's thread cannot be stopped, only its worker ended, and Ray would hand that
        # worker to the next trial (whose reset then fails).
        reuse_actors=spec.trial_timeout is None,
    )
    run_config = tune.RunConfig(
        name=at.name,
        storage_path=at.storage_path,
        storage_filesystem=at.storage_filesystem,
        callbacks=[
            RayLogHere(plan.directory.ray_tune_log),
            SweepRecorder(info),
            StateSigner(plan.directory, name),
            *([MirrorPush(plan.directory)] if plan.directory.remote else []),  # a sweep at a URI: seen there as it runs
            *guards,
            *_trackers(spec, info),
        ],
        stop=make_stopper(budget, plan.directory, spec.trial_timeout, spec, guards),
        verbose=0,
        # Ray allows no retries with fail_fast: the first error ends the sweep.
        failure_config=tune.FailureConfig(max_failures=0 if fail_fast else MAX_FAILURES, fail_fast=fail_fast),
        # Keep every checkpoint while the sweep runs: Ray deletes surplus ones from the driver, and a
        # driver killed between its periodic experiment snapshots would leave the snapshot pointing at a
        # deleted checkpoint. `prune_checkpoints` keeps only the last one per trial once the sweep is over.
        checkpoint_config=tune.CheckpointConfig(num_to_keep=None),
    )
    if tuner is None:
        return tune.Tuner(wrapped, param_space={}, tune_config=tune_config, run_config=run_config)  # configs: searcher
    restored_tuner.replace_configs(tuner, tune_config, run_config)
    return tuner


def _trackers(spec: SweepSpec, info: SweepInfo) -> list[Any]:
    """Ray's MLflow / TensorBoard logger callbacks for the spec's `tracking:` (none: nothing imported)."""
    if not spec.tracking:
        return []
    from sweep.tracking import tracking_callbacks

    return tracking_callbacks(
        spec.tracking, Path(info.sweep_root), spec.tracking_uri, experiment=spec.name, metric=spec.metric,
        mode=spec.mode, max_t=info.max_t, prunes=bool(info.milestones), stages=info.stages,
    )  # fmt: skip


def prune_checkpoints(experiment_dir: Path) -> int:
    """Deletes all but each trial's latest checkpoint in a finished round; returns how many went."""
    removed = 0
    for trial_dir in experiment_dir.iterdir() if experiment_dir.is_dir() else []:
        for old in sorted(trial_dir.glob("checkpoint_*"))[:-1]:
            shutil.rmtree(old, ignore_errors=True)
            removed += 1
    return removed


def prepare_pending(spec: SweepSpec, max_concurrent: int | None) -> None:
    """Sets Ray's pending-trial limit (read when the Tuner starts) from the cluster; a user's value wins."""
    import ray

    cpus = float(ray.cluster_resources().get("CPU", 1.0))
    os.environ.setdefault(PENDING_ENV, str(pending_trials(float(spec.resources.cpu), cpus, max_concurrent)))


def drop_foreign_staging(experiment: Path) -> int:
    """Removes state files from Ray's local staging folders of this experiment that its directory lacks.

    Ray stages a restored run's state in a folder named after the run's start time and experiment name, and
    restores the searcher from there after copying the directory's files in. A copy of the sweep resumed in
    the same Ray session shares that folder: its newer state files would be restored for this directory.
    Only names the directory does not hold go (Ray's copy replaces the others); returns how many.
    """
    from sweep.store.ray_state import PATTERNS

    try:
        from ray.train.constants import _get_ray_train_session_dir

        session = Path(_get_ray_train_session_dir())
    except Exception:  # Ray Client, or a Ray without this layout: nothing staged on this machine
        return 0
    ours = {f.name for f in experiment.iterdir()} if experiment.is_dir() else set()
    removed = 0
    for staged in session.glob(f"*/{experiment.name}/driver_artifacts"):
        for pattern in PATTERNS:
            for stale in staged.glob(pattern):
                if stale.name not in ours:
                    stale.unlink(missing_ok=True)
                    removed += 1
    return removed


def _restored_budget(saved: tune.RunConfig, fresh: Budget | None) -> Budget | None:
    """The time budget as the Tuner had it when built (its clock pauses while no driver runs), else `fresh`."""
    stop = getattr(saved, "stop", None)
    for stopper in [stop, *getattr(stop, "_stoppers", [])]:
        if isinstance(stopper, BudgetStopper):
            return stopper.budget
    return fresh
