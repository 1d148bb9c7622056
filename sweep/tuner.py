"""Builds (or restores) the Ray Tune `Tuner` for one round of a sweep."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ray import tune
from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, TrialScheduler
from ray.tune.search.basic_variant import BasicVariantGenerator

from search_spaces import Space, SweepSpec
from search_spaces.tune_domains import to_tune_domains
from sweep.recorder import RoundInfo, SweepRecorder
from sweep.trial_status import asha_milestones

# Retries per trial when its worker dies (a lost node, an OOM kill); a trial restarts from its checkpoint.
MAX_FAILURES = 2
# A batching trial reports at ASHA's rungs, at its last epoch, and otherwise at least this often.
REPORT_SECONDS = 1.0


def batches_reports(spec: SweepSpec) -> bool:
    """Built-in trainables batch epochs into fewer reports; PBT decides on every epoch, so not under PBT."""
    from trainables.registry import builtin_names

    return spec.trainable in builtin_names() and spec.scheduler.type != "pbt"


def with_resources(trainable: Callable[..., None], spec: SweepSpec, milestones: tuple[int, ...]) -> Any:
    """The trainable as Tune runs it: the spec's resources per trial, and its report policy."""
    if batches_reports(spec):
        from trainables.session import ReportPolicy

        policy = ReportPolicy(frozenset(milestones), REPORT_SECONDS)
        trainable = tune.with_parameters(trainable, reporting=policy)
    return tune.with_resources(trainable, {"cpu": spec.resources.cpu, "gpu": spec.resources.gpu})


@dataclass(frozen=True)
class TunerSettings:
    """Everything about a round's Tuner that does not come from the spec."""

    experiment_dir: str  # STORAGE/.../ray
    name: str  # round-N
    max_concurrent: int | None
    fail_fast: bool


def max_epochs(spec: SweepSpec, configs: list[dict[str, Any]]) -> int:
    """ASHA's max_t: the spec's, else the largest `epochs` any config trains, else Ray's default 100."""
    if spec.scheduler.max_t:
        return int(spec.scheduler.max_t)
    epochs = [int(c["epochs"]) for c in configs if isinstance(c.get("epochs"), int | float)]
    return max(epochs) if epochs else 100


def make_scheduler(spec: SweepSpec, max_t: int) -> tuple[TrialScheduler, tuple[int, ...]]:
    """Ray's scheduler for the spec, and the ASHA milestones (empty when nothing is pruned)."""
    sched = spec.scheduler
    if sched.type == "asha":
        grace = min(int(sched.grace_period), max_t)
        scheduler = ASHAScheduler(
            # A batching trial reports `epoch` at every rung; another trainable is assumed to report once
            # per epoch, so its iterations are epochs.
            time_attr="epoch" if batches_reports(spec) else "training_iteration",
            max_t=max_t,
            grace_period=grace,
            reduction_factor=sched.reduction_factor,
        )
        return scheduler, tuple(asha_milestones(grace, sched.reduction_factor, max_t))
    if sched.type == "pbt":
        from sweep.pbt import make_pbt

        return make_pbt(spec), ()
    return FIFOScheduler(), ()


def param_space(space: Space, configs: list[dict[str, Any]]) -> dict[str, Any]:
    """Ray domains for every key the planned configs set (Ray wants each pre-set key in the space).

    Grid entries become plain choices: the plan already holds their cross product, and a `grid_search`
    here would make Ray multiply the planned trials.
    """
    domains = {}
    for name, domain in to_tune_domains(space).items():
        grid = domain.get("grid_search") if isinstance(domain, dict) else None
        domains[name] = tune.choice(list(grid)) if grid is not None else domain
    for config in configs:
        for key, value in config.items():
            domains.setdefault(key, value)
    domains["plan_id"] = tune.choice([config["plan_id"] for config in configs])
    return domains


def build_tuner(
    trainable: Callable[[dict], None],
    spec: SweepSpec,
    space: Space,
    configs: list[dict[str, Any]],
    info: RoundInfo,
    settings: TunerSettings,
    scheduler: TrialScheduler,
) -> tune.Tuner:
    """A Tuner that runs exactly the planned `configs`, one trial each, in order."""
    if spec.scheduler.type == "pbt":
        from sweep.pbt import SweepPBT, pbt_configs

        # PBT clones trials from their checkpoints: make them exist at perturbation epochs, keep them
        # until clones have restored (Ray warns that num_to_keep <= 2 loses them), bind the round's space.
        configs = pbt_configs(configs, spec.scheduler.perturbation_interval)
        if isinstance(scheduler, SweepPBT):
            scheduler.bind_round(space, info.sweep_root, info.round_number)
    # Planned configs go in as points to evaluate: what runs is what was sampled and saved beside the
    # results, so a resumed or re-run round trains the same configs, and every runner in the benchmark too.
    search = BasicVariantGenerator(points_to_evaluate=configs)
    return tune.Tuner(
        with_resources(trainable, spec, info.milestones),
        param_space=param_space(space, configs),
        tune_config=tune.TuneConfig(
            metric=spec.metric,
            mode=spec.mode,
            scheduler=scheduler,
            search_alg=search,
            num_samples=len(configs),
            reuse_actors=True,  # a new worker per trial costs seconds; reuse it across trials
            max_concurrent_trials=settings.max_concurrent,
        ),
        run_config=tune.RunConfig(
            name=settings.name,
            storage_path=settings.experiment_dir,
            callbacks=[SweepRecorder(info)],
            verbose=0,
            # Ray allows no retries with fail_fast: the first error ends the round.
            failure_config=tune.FailureConfig(
                max_failures=0 if settings.fail_fast else MAX_FAILURES, fail_fast=settings.fail_fast
            ),
            # Keep every checkpoint while the round runs: Ray deletes surplus ones from the driver, and a
            # driver killed between its periodic experiment snapshots would leave the snapshot pointing at a
            # deleted checkpoint. `prune_checkpoints` keeps only the last one per trial once the round is over.
            checkpoint_config=tune.CheckpointConfig(num_to_keep=None),
        ),
    )


def prune_checkpoints(experiment_dir: Path) -> int:
    """Deletes all but each trial's latest checkpoint in a finished round; returns how many went."""
    removed = 0
    for trial_dir in experiment_dir.iterdir() if experiment_dir.is_dir() else []:
        for old in sorted(trial_dir.glob("checkpoint_*"))[:-1]:
            shutil.rmtree(old, ignore_errors=True)
            removed += 1
    return removed


def restore_tuner(
    path: str, trainable: Callable[[dict], None], spec: SweepSpec, milestones: tuple[int, ...]
) -> tune.Tuner:
    """Ray's own resume: finished trials stay finished, unfinished ones restart from their checkpoints."""
    wrapped = with_resources(trainable, spec, milestones)
    return tune.Tuner.restore(path, wrapped, resume_unfinished=True, resume_errored=False)
