"""The library entry points: `run_sweep`, `resume_sweep`, `refine_sweep`.

One driver loop (`_drive`) serves all three: it walks the sweep's rounds in sweep.json, skips the done ones,
restores an interrupted one with `Tuner.restore`, plans the rest from the results so far, and runs them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from search_spaces import Space, SpecError, SweepSpec, load_spec, parse_spec, sample_configs
from search_spaces.errors import SweepError
from sweep import schema as S
from sweep.cluster import check_fits, cluster_resources, needs_shipping, project_dir, runtime_env
from sweep.local_ray import connect, disconnect, prepare_environment
from sweep.options import RunOptions
from sweep.results import SweepResult, load
from sweep.rounds import RoundSlot, schedule, stage_space, zoomed_space
from sweep.sweep_dir import DEFAULT_CACHE, SweepDir
from sweep.tables import read_table, rewrite_table

log = logging.getLogger("sweep")


def base_space(spec: SweepSpec, options: RunOptions) -> Space:
    """The spec's space with `--tier` selection and `--set` holds applied."""
    space = spec.space
    if options.tiers:
        space = space.select_tiers(set(options.tiers))
    for name, value in options.holds:
        space = space.hold(name, value)
    clash = sorted(set(space.names) & S.RESERVED)
    if clash:
        raise SpecError(f"space.{clash[0]}: the name is reserved for a results column; rename the parameter")
    return space


def run_sweep(spec: SweepSpec | str | dict | None = None, options: RunOptions | None = None) -> SweepResult:
    """Runs a sweep: plans round 1, runs it on Ray with the spec's scheduler, zooms for later rounds.

    Args:
        spec: a SweepSpec, a path to a spec YAML, a preset name, a dict, or None for the default preset.
        options: run options (storage, Ray address, staging, ...).

    Returns:
        The sweep's tables, as `sweep.load` would read them.

    Example:
        >>> from sweep import run_sweep, RunOptions
        >>> result = run_sweep("digits-momentum", RunOptions(storage="/tmp/sweeps"))  # doctest: +SKIP
        >>> result.best()["lr"]  # doctest: +SKIP
    """
    options = options or RunOptions()
    prepare_environment(local=options.address is None)
    spec = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    space = base_space(spec, options)
    project = project_dir(spec)
    _resolve(spec.trainable, project)  # a bad trainable path fails before Ray starts
    directory = SweepDir.create(options.storage, spec.name, Path(options.cache_dir))
    directory.write_yaml(directory.spec_yaml, spec.to_dict())
    slots = schedule(spec, space, options.staged)
    directory.write_state(
        {
            "name": spec.name,
            "status": "planned",
            "metric": spec.metric,
            "mode": spec.mode,
            "params": list(space.names),
            "started_at": time.time(),
            "project_dir": str(project),
            "remote": directory.remote,
            "options": options.to_dict(),
            "rounds": [slot.to_dict() for slot in slots],
            "round_status": {},
        }
    )
    return _drive(directory, options)


def resume_sweep(path: str | Path, options: RunOptions | None = None) -> SweepResult:
    """Continues an interrupted sweep (Ctrl-C, a killed driver, a reboot) where it stopped.

    Finished trials are not rerun; unfinished ones restart from their last checkpoint (`Tuner.restore`);
    rounds not yet planned are planned from everything found so far.

    Example:
        >>> from sweep import resume_sweep
        >>> resume_sweep("sweeps/digits-momentum-20261122-120000")  # doctest: +SKIP
    """
    directory = SweepDir.open(path, Path(options.cache_dir) if options else DEFAULT_CACHE)
    saved = RunOptions.from_dict(directory.read_state()["options"])
    if options is not None:  # where Ray runs and how loud may change; what is tuned may not
        saved = _with_runtime(saved, options)
    return _drive(directory, saved)


def refine_sweep(
    path: str | Path, rounds: int = 1, samples: int | None = None, options: RunOptions | None = None
) -> SweepResult:
    """Adds `rounds` zoomed rounds to a sweep, zooming from everything it has found so far.

    Example:
        >>> from sweep import refine_sweep
        >>> refine_sweep("sweeps/digits-momentum-20261122-120000", rounds=1, samples=8)  # doctest: +SKIP
    """
    if rounds < 1:
        raise SweepError(f"--rounds must be at least 1, got {rounds}")
    directory = SweepDir.open(path, Path(options.cache_dir) if options else DEFAULT_CACHE)
    state = directory.read_state()
    spec = parse_spec(_read_yaml(directory.spec_yaml), str(directory.spec_yaml))
    slots = [RoundSlot(**slot) for slot in state["rounds"]]
    for _ in range(rounds):
        slots.append(RoundSlot(len(slots) + 1, None, zoom=True, samples=samples or spec.samples))
    state["rounds"] = [slot.to_dict() for slot in slots]
    directory.write_state(state)
    saved = RunOptions.from_dict(state["options"])
    return _drive(directory, _with_runtime(saved, options) if options else saved)


def _with_runtime(saved: RunOptions, given: RunOptions) -> RunOptions:
    from dataclasses import replace

    return replace(
        saved, address=given.address, cpus=given.cpus, quiet=given.quiet, max_concurrent=given.max_concurrent,
        fail_fast=given.fail_fast, dashboard=given.dashboard,
    )  # fmt: skip


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text())


def _resolve(trainable: str, project: Path) -> Callable[[dict], None]:
    """The trainable function; a user's module is looked up in their project directory first."""
    import sys

    from trainables import resolve_trainable

    if str(project) not in sys.path:
        sys.path.insert(0, str(project))
    return resolve_trainable(trainable)


# --- the driver loop ---------------------------------------------------------------------------------------
def _drive(directory: SweepDir, options: RunOptions) -> SweepResult:
    state = directory.read_state()
    spec = parse_spec(_read_yaml(directory.spec_yaml), str(directory.spec_yaml))
    project = Path(state.get("project_dir", Path.cwd()))
    trainable = _resolve(spec.trainable, project)
    space = base_space(spec, options)
    from trainables.registry import builtin_names

    ship = needs_shipping(spec, builtin_names())
    env = runtime_env(project, ship, options.storage)
    connection = connect(options.address, options.cpus, dashboard=options.dashboard, runtime_env=env)
    _say(options, f"sweep: {directory.location}")
    _say(options, connection.auth_hint())
    from sweep.tuner import prune_checkpoints  # imports ray: only after connect() has set its environment

    try:
        check_fits(spec, cluster_resources())
        if options.final_test:
            from sweep.summary import prewarm

            prewarm(spec)
        for slot in [RoundSlot(**slot) for slot in state["rounds"]]:
            if state["round_status"].get(str(slot.number)) == "done":
                continue
            finished = _run_round(directory, spec, space, slot, state, trainable, options)
            if not finished:
                return _interrupted(directory, state, options)
            state["round_status"][str(slot.number)] = "done"
            directory.write_state(state)
            _compact(directory)
            directory.sync()
            if directory.remote is None:
                prune_checkpoints(directory.ray_dir / f"round-{slot.number}")
        state["status"] = "completed"
        directory.write_state(state)
        from sweep.summary import finish

        result = finish(directory, spec, options)
        directory.sync()
        return result
    except KeyboardInterrupt:
        return _interrupted(directory, state, options)
    finally:
        disconnect(connection)


def _interrupted(directory: SweepDir, state: dict[str, Any], options: RunOptions) -> SweepResult:
    state["status"] = "interrupted"
    directory.write_state(state)
    directory.sync()
    _say(
        options,
        f"interrupted: results so far are in {directory.location}; continue with: sweep resume {directory.location}",
        force=True,
    )
    return load(directory.root)


def _say(options: RunOptions, text: str, force: bool = False) -> None:
    if force or not options.quiet:
        print(text, flush=True)


def _run_round(
    directory: SweepDir,
    spec: SweepSpec,
    base: Space,
    slot: RoundSlot,
    state: dict[str, Any],
    trainable: Callable[[dict], None],
    options: RunOptions,
) -> bool:
    """Runs (or restores) one round; True when every planned trial of it has a final row."""
    from ray import tune

    from sweep.recorder import RoundInfo
    from sweep.tuner import TunerSettings, build_tuner, make_scheduler, max_epochs, restore_tuner

    number = slot.number
    status = state["round_status"].get(str(number))
    if directory.round_plan(number).exists() and status in ("running", "planned"):
        configs = _read_plan(directory, number)
        round_space = Space.from_dict(_read_yaml(directory.round_space(number)))
    else:
        round_space = _plan_space(directory, spec, base, slot, state)
        configs = _plan_configs(spec, round_space, slot)
        directory.write_yaml(directory.round_space(number), round_space.to_dict())
        pd.DataFrame(configs).to_csv(directory.round_plan(number), index=False)
        _announce(options, slot, round_space, state, directory)
    state["round_status"][str(number)] = "running"
    state["status"] = "running"
    directory.write_state(state)

    max_t = max_epochs(spec, configs)
    scheduler, milestones = make_scheduler(spec, max_t)
    info = RoundInfo(
        sweep_root=str(directory.root), round_number=number, stage=slot.stage, planned=len(configs),
        metric=spec.metric, mode=spec.mode, max_t=max_t, milestones=milestones,
        started_at=float(state["started_at"]), quiet=options.quiet,
    )  # fmt: skip
    experiment = directory.experiment(number)
    if tune.Tuner.can_restore(experiment):
        tuner = restore_tuner(experiment, trainable, spec, milestones)
    else:
        settings = TunerSettings(directory.ray_storage, f"round-{number}", options.max_concurrent, options.fail_fast)
        tuner = build_tuner(trainable, spec, round_space, configs, info, settings, scheduler)
    logging.getLogger("ray.tune").setLevel(logging.ERROR)  # Ray's own "use Tuner.restore" hint would mislead
    tuner.fit()
    done = _finished_plan_ids(directory, number)
    failure = _errored(directory, number) if options.fail_fast else ""
    if failure:
        state["status"] = "failed"
        directory.write_state(state)
        directory.sync()
        raise SweepError(
            f"a trial failed and --fail-fast stopped the sweep: {failure}; "
            f"the results so far are in {directory.location}"
        )
    return done >= {c["plan_id"] for c in configs}


def _plan_space(directory: SweepDir, spec: SweepSpec, base: Space, slot: RoundSlot, state: dict[str, Any]) -> Space:
    result = load(directory.root)
    if not slot.zoom:
        best = result.best_config() if not result.trials.empty else None
        return stage_space(base, slot.stage, best)
    previous = Space.from_dict(_read_yaml(directory.round_space(slot.number - 1)))
    trials = result.trials
    if slot.stage is not None and not trials.empty:
        trials = trials[trials[S.STAGE] == slot.stage]
    return zoomed_space(previous, base, _results_for_zoom(trials, previous), spec)


def _results_for_zoom(trials: pd.DataFrame, space: Space) -> list[tuple[dict[str, Any], float]]:
    if trials.empty:
        return []
    ok = trials[trials[S.STATUS] != S.ERRORED]
    names = [name for name in space.names if name in ok.columns]
    return [({name: _plain(row[name]) for name in names}, float(row[S.BEST])) for _, row in ok.iterrows()]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _plan_configs(spec: SweepSpec, space: Space, slot: RoundSlot) -> list[dict[str, Any]]:
    configs = sample_configs(space, slot.samples, spec.sampler, spec.seed + slot.number - 1)
    planned = []
    for index, config in enumerate(configs):
        config = dict(config)
        if spec.data is not None and "data" not in config:
            config["data"] = spec.data
        config["plan_id"] = f"r{slot.number}-{index:03d}"
        planned.append(config)
    return planned


def _read_plan(directory: SweepDir, number: int) -> list[dict[str, Any]]:
    frame = pd.read_csv(directory.round_plan(number), keep_default_na=False, na_values=[""])
    return [{k: _plain(v) for k, v in row.items() if not (isinstance(v, float) and pd.isna(v))}
            for row in frame.to_dict("records")]  # fmt: skip


def _announce(options: RunOptions, slot: RoundSlot, space: Space, state: dict[str, Any], directory: SweepDir) -> None:
    from search_spaces import zoom_lines

    stage = f" (stage: tier {slot.stage})" if slot.stage is not None else ""
    _say(options, f"round {slot.number}{stage}: {slot.samples} samples")
    if slot.zoom and slot.number > 1:
        previous = Space.from_dict(_read_yaml(directory.round_space(slot.number - 1)))
        for line in zoom_lines(previous, space):
            _say(options, f"  {line}")


def _finished_plan_ids(directory: SweepDir, number: int) -> set[str]:
    trials = read_table(directory.trials_csv, key=[S.PLAN_ID])
    if trials.empty:
        return set()
    return set(trials.loc[trials[S.ROUND] == number, S.PLAN_ID].astype(str))


def _errored(directory: SweepDir, number: int) -> str:
    trials = read_table(directory.trials_csv, key=[S.PLAN_ID])
    if trials.empty:
        return ""
    bad = trials[(trials[S.ROUND] == number) & (trials[S.STATUS] == S.ERRORED)]
    return "" if bad.empty else f"{bad.iloc[0][S.PLAN_ID]}: {bad.iloc[0][S.ERROR]}"


def _compact(directory: SweepDir) -> None:
    """Drops rows a resumed trial wrote twice, once a round is over."""
    for path, key in ((directory.trials_csv, [S.PLAN_ID]), (directory.history_csv, [S.PLAN_ID, S.EPOCH])):
        if path.exists():
            rewrite_table(path, read_table(path, key=key))
