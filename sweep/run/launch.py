"""The library entry points: `run_sweep`, `resume_sweep`, `refine_sweep`.

One driver loop (`_drive`) serves all three: it runs the rounds in sweep.json not yet done in one Ray Tune
`Tuner` (restored with `Tuner.restore` when Ray has a snapshot of it), whose searcher plans each round as the
previous one winds down (:mod:`sweep.run.searcher`), then prints the summary and scores the winner.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from search_spaces import Space, SpecError, SweepSpec, load_spec, parse_spec
from search_spaces.errors import SweepError
from sweep.checks.preflight import check_name, preflight
from sweep.cluster.launcher import check_fits, cluster_resources, needs_shipping, project_dir, runtime_env
from sweep.cluster.local import connect, disconnect, prepare_environment
from sweep.run.driver import driver_record
from sweep.run.options import RunOptions
from sweep.run.rounds import RoundSlot, schedule, sweep_max_epochs
from sweep.store import schema as S
from sweep.store.layout import DEFAULT_CACHE, SweepDir
from sweep.store.results import SweepResult, load
from sweep.store.tables import StorageError, read_table, rewrite_table

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


def run_sweep(
    spec: SweepSpec | str | dict | None = None,
    options: RunOptions | None = None,
    trainable: Callable[[dict], Any] | None = None,
) -> SweepResult:
    """Runs a sweep: plans round 1, runs it on Ray with the spec's scheduler, zooms for later rounds.

    Args:
        spec: a SweepSpec, a path to a spec YAML, a preset name, a dict, or None for the default preset.
        options: run options (storage, Ray address, staging, ...).
        trainable: the trainable as a function object (a notebook's `def train(config)`), instead of the
            spec's `trainable:` name; it travels to Ray's workers by value. `resume_sweep` needs it again.

    Returns:
        The sweep's tables, as `sweep.load` would read them.

    Example:
        >>> from sweep import run_sweep, RunOptions
        >>> result = run_sweep("digits-momentum", RunOptions(storage="/tmp/sweeps"))  # doctest: +SKIP
        >>> result.best()["lr"]  # doctest: +SKIP
    """
    clock_start = time.time()  # a time budget counts the whole command
    options = options or RunOptions()
    prepare_environment(local=options.address is None)
    if isinstance(spec, dict) and callable(spec.get("trainable")):
        spec = dict(spec)
        trainable = spec.pop("trainable")
    spec = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    if trainable is not None:
        spec = spec.replace(trainable=_reference(trainable))
    space = base_space(spec, options)
    project = project_dir(spec)
    if trainable is None:
        _resolve(spec.trainable, project)  # a bad trainable path fails before Ray starts
    check_name(spec.name)  # before the name becomes a directory
    # The rest of the pre-flight (the trainable's declared keys and ranges, the data) imports torch and reads
    # data: seconds that run beside Ray's start instead of before it. No trial starts until it has passed.
    checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep-preflight")
    checked = checks.submit(preflight, spec.replace(space=space), trainable)
    checks.shutdown(wait=False)
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
    try:
        return _drive(directory, options, clock_start, checked, trainable)
    except SweepError:
        if checked.done() and checked.exception() is not None and directory.remote is None:
            shutil.rmtree(directory.root, ignore_errors=True)  # a spec that never ran leaves nothing behind
        raise


def resume_sweep(
    path: str | Path, options: RunOptions | None = None, trainable: Callable[[dict], Any] | None = None
) -> SweepResult:
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
    return _drive(directory, saved, function=trainable)


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
    state["experiment"] = None  # the new rounds run in a Tuner of their own (ray/refine-N)
    state.pop("budget_spent", None)
    directory.write_state(state)
    saved = RunOptions.from_dict(state["options"])
    return _drive(directory, _with_runtime(saved, options) if options else saved)


def _with_runtime(saved: RunOptions, given: RunOptions) -> RunOptions:
    from dataclasses import replace

    return replace(
        saved, address=given.address, cpus=given.cpus, quiet=given.quiet, max_concurrent=given.max_concurrent,
        fail_fast=given.fail_fast, dashboard=given.dashboard,
    )  # fmt: skip


def _reference(function: Callable[..., Any]) -> str:
    """The name a function object is recorded under in spec.yaml (``module:name``)."""
    module = str(getattr(function, "__module__", None) or "__main__")
    name = str(getattr(function, "__name__", "train"))
    return f"{module}:{name if name.isidentifier() else 'train'}"


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
def _drive(
    directory: SweepDir,
    options: RunOptions,
    clock_start: float | None = None,
    checked: Future[None] | None = None,
    function: Callable[[dict], Any] | None = None,
) -> SweepResult:
    """Runs the rounds not yet done in one Tuner (restored when Ray has a snapshot of it), then the summary."""
    clock_start = time.time() if clock_start is None else clock_start
    state = directory.read_state()
    state["driver"] = driver_record()
    directory.write_state(state)
    spec = parse_spec(_read_yaml(directory.spec_yaml), str(directory.spec_yaml))
    project = Path(state.get("project_dir", Path.cwd()))
    if function is not None:
        from sweep.run.one_trial import ship_by_value

        ship_by_value(function)
    trainable = function or _resolve(spec.trainable, project)
    space = base_space(spec, options)
    from trainables.registry import builtin_names

    ship = needs_shipping(spec, builtin_names()) and function is None
    env = runtime_env(project, ship, options.storage, local=options.address is None)
    connection = connect(options.address, options.cpus, dashboard=options.dashboard, runtime_env=env)
    phases = {"start": round(time.time() - clock_start, 3)}
    _say(options, f"sweep: {directory.location}", force=True)
    if connection.note:
        _say(options, connection.note, force=True)  # which Ray ran it is worth a line even with -q
    _say(options, connection.auth_hint())
    from sweep.run.tuner import prune_checkpoints  # imports ray: only after connect() has set its environment

    try:
        if checked is not None:
            checked.result()  # the pre-flight's one-line error, before any trial
        check_fits(spec, cluster_resources())
        if options.final_test:
            from sweep.winners.summary import prewarm

            prewarm(spec)
        slots = [RoundSlot(**slot) for slot in state["rounds"]]
        todo = [slot for slot in slots if state["round_status"].get(str(slot.number)) != "done"]
        if todo:
            fit_started = time.time()
            finished = _run_rounds(directory, spec, space, slots, todo, trainable, options, clock_start)
            phases["trials"] = round(time.time() - fit_started, 3)
            state = directory.read_state()  # the searcher recorded its rounds in it
            if not finished:
                return _interrupted(directory, state, options)
            for slot in todo:
                state["round_status"][str(slot.number)] = "done"
            directory.write_state(state)
            _compact(directory)
            directory.sync()
            if directory.remote is None:
                prune_checkpoints(directory.ray_dir / state["experiment"])
        state["status"] = "completed"
        directory.write_state(state)
        from sweep.winners.summary import finish

        result = finish(directory, spec, options, phases, clock_start)
        directory.sync()
        return result
    except KeyboardInterrupt:
        return _interrupted(directory, directory.read_state(), options)
    except StorageError:
        with contextlib.suppress(OSError):  # the disk may be too full even for the state file
            _interrupted(directory, directory.read_state(), options)
        raise
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


def _run_rounds(
    directory: SweepDir,
    spec: SweepSpec,
    base: Space,
    slots: list[RoundSlot],
    todo: list[RoundSlot],
    trainable: Callable[[dict], None],
    options: RunOptions,
    clock_start: float,
) -> bool:
    """Runs (or restores) the Tuner for the rounds in `todo`; True when the sweep got to its end."""
    from ray import tune

    from sweep.run.budget import Budget
    from sweep.run.recorder import SweepInfo
    from sweep.run.searcher import SweepPlan
    from sweep.run.tuner import TunerSettings, build_tuner, restore_tuner, sweep_milestones

    state = directory.read_state()
    name = state.get("experiment") or ("sweep" if todo[0].number == 1 else f"refine-{todo[0].number}")
    if state.get("experiment") != name:
        state["experiment"] = name
        directory.write_state(state)
    max_t = sweep_max_epochs(spec, base)
    milestones = sweep_milestones(spec, max_t)
    experiment = f"{directory.ray_storage}/{name}"
    _ray_log_to_file(directory)
    if tune.Tuner.can_restore(experiment):
        tuner = restore_tuner(experiment, trainable, spec, milestones, options.fail_fast)
    else:
        budget = None
        if spec.time_budget is not None:
            budget = Budget(max(spec.time_budget - (time.time() - clock_start), 0.001))
        info = SweepInfo(
            sweep_root=str(directory.root), stages={slot.number: slot.stage for slot in slots},
            planned=sum(slot.samples for slot in todo), metric=spec.metric, mode=spec.mode, max_t=max_t,
            milestones=milestones, started_at=float(state["started_at"]), quiet=options.quiet,
        )  # fmt: skip
        plan = SweepPlan(
            directory, spec.to_dict(), base.to_dict(), tuple(todo), quiet=options.quiet,
            pbt_interval=spec.scheduler.perturbation_interval if spec.scheduler.type == "pbt" else None,
        )  # fmt: skip
        settings = TunerSettings(directory.ray_storage, name, options.max_concurrent, options.fail_fast)
        tuner = build_tuner(trainable, spec, plan, info, settings, budget)
    try:
        tuner.fit()
    except Exception as err:  # Ray wraps what a callback raised; a full disk is one line, the rows stay
        storage = _cause(err, StorageError)
        if storage is None:
            raise
        raise storage from None
    state = directory.read_state()
    failure = _errored(directory, {slot.number for slot in todo}) if options.fail_fast else ""
    if failure:
        state["status"] = "failed"
        directory.write_state(state)
        directory.sync()
        raise SweepError(
            f"a trial failed and --fail-fast stopped the sweep: {failure}; "
            f"the results so far are in {directory.location}"
        )
    if state.get("budget_spent"):
        return True
    return _all_recorded(directory, todo, set(state.get("not_started", [])))


def _ray_log_to_file(directory: SweepDir) -> None:
    """Ray Tune's own messages (a failed trial's traceback, retries) go to DIR/ray-tune.log, not the terminal:
    the recorder prints one line per failed trial and its row holds the error."""
    logger = logging.getLogger("ray.tune")
    for handler in [h for h in logger.handlers if getattr(h, "_sweep", False)]:
        logger.removeHandler(handler)
        handler.close()
    handler = logging.FileHandler(directory.root / "ray-tune.log")
    handler._sweep = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.WARNING)


def _cause(err: BaseException, kind: type[StorageError]) -> StorageError | None:
    """The first exception of `kind` in `err`'s chain of causes."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _all_recorded(directory: SweepDir, todo: list[RoundSlot], not_started: set[str]) -> bool:
    """Whether every round in `todo` was planned and each of its started configs has a final row."""
    from sweep.run.searcher import read_plan

    planned: set[str] = set()
    for slot in todo:
        if not directory.round_plan(slot.number).exists():
            return False
        planned |= {str(c[S.PLAN_ID]) for c in read_plan(directory, slot.number)}
    trials = read_table(directory.trials_csv, key=[S.PLAN_ID])
    done = set() if trials.empty else set(trials[S.PLAN_ID].astype(str))
    return planned - not_started <= done


def _errored(directory: SweepDir, rounds: set[int]) -> str:
    trials = read_table(directory.trials_csv, key=[S.PLAN_ID])
    if trials.empty:
        return ""
    bad = trials[trials[S.ROUND].isin(rounds) & (trials[S.STATUS] == S.ERRORED)]
    return "" if bad.empty else f"{bad.iloc[0][S.PLAN_ID]}: {bad.iloc[0][S.ERROR]}"


def _compact(directory: SweepDir) -> None:
    """Drops rows a resumed trial wrote twice, once the sweep's rounds are over."""
    for path, key in ((directory.trials_csv, [S.PLAN_ID]), (directory.history_csv, [S.PLAN_ID, S.EPOCH])):
        if path.exists():
            rewrite_table(path, read_table(path, key=key))
