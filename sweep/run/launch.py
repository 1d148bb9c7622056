"""The library entry points: `run_sweep`, `resume_sweep`, `refine_sweep`.

Each prepares the sweep directory (or opens it) and hands it to one driver loop, :func:`sweep.run.driver_loop.drive`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from search_spaces import SweepSpec, load_spec
from sweep import events as E
from sweep.checks.assignments import check_held_values
from sweep.checks.preflight import preflight
from sweep.cluster.environment import prepare_environment
from sweep.cluster.launcher import project_dir
from sweep.cluster.local import requested_address
from sweep.cluster.reachable import check_reachable
from sweep.run.disk_full import fresh_experiment
from sweep.run.driver_loop import drive, resolve
from sweep.run.rounds import RoundSlot, round_slots
from sweep.run.sweep_run import RunOptions, SweepRun
from sweep.store.damage import check_sweep_dir, damaged
from sweep.store.layout import SweepDir
from sweep.store.lock import hold_driver_lock
from sweep.store.results import SweepResult
from sweep.store.state import STATE_FILE, SweepState
from sweep.store.writable import check_writable_dir
from sweep_errors import SweepError


def run_sweep(
    spec: SweepSpec | str | dict | None = None,
    options: RunOptions | None = None,
    trainable: Callable[[dict], Any] | None = None,
    observer: E.Observer | None = None,
) -> SweepResult:
    """Runs a sweep: plans round 1, runs it on Ray with the spec's scheduler, zooms for later rounds.

    Args:
        spec: a SweepSpec, a path to a spec YAML, a preset name, a dict, or None for the default preset.
        options: run options (storage, Ray address, staging, ...).
        trainable: the trainable as a function object (a notebook's `def train(config)`), instead of the
            spec's `trainable:` name; it travels to Ray's workers by value. `resume_sweep` needs it again.
        observer: called with each event of the run (:mod:`sweep.events`: round planned, trial ended, progress,
            summary, ...); nothing is printed. The CLI passes :class:`sweep.cli.render.Printer`.

    Returns:
        The sweep's tables, as `sweep.load` would read them.

    Example:
        >>> from sweep import run_sweep, RunOptions
        >>> result = run_sweep("digits-momentum", RunOptions(storage="/tmp/sweeps"))  # doctest: +SKIP
        >>> result.best()["lr"]  # doctest: +SKIP
    """
    observer = E.guarded(observer)  # a caller's observer that raises is warned about, not fatal
    clock_start = time.time()  # a time budget counts the whole command
    options = options or RunOptions()
    prepare_environment(local=requested_address(options.address)[0] is None)
    if isinstance(spec, dict) and callable(spec.get("trainable")):
        spec = dict(spec)
        trainable = spec.pop("trainable")
    spec = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    if trainable is not None:
        spec = spec.replace(trainable=_reference(trainable))
    run = SweepRun.of(spec, options)  # the one place the spec and the options meet (checked: names, holds)
    space = run.space
    check_held_values(spec, options.holds)  # `--set lr=abc`: before a directory is made or Ray starts
    project = project_dir(spec)
    function = trainable or resolve(spec.trainable, project)  # a bad trainable path fails before Ray starts
    check_storage(options.storage)  # a read-only mount or a file: one line, before Ray starts
    address, given_by = requested_address(options.address)
    if address is not None:  # a mistyped one: one line in seconds, and no sweep directory left behind
        check_reachable(address, given_by)
    if spec.tracking or spec.tracking_uri is not None:  # a missing package, an MLflow server that is down
        from sweep.tracking.store_check import check_tracking

        check_tracking(spec)
    warm = []  # `--warm-start`: the earlier sweep's best configs for round 1, each move noted
    if options.warm_start is not None:  # a bad one fails before Ray starts or a directory is made
        from sweep.run.warm_start import warm_start_configs, write_plan

        warm = warm_start_configs(options.warm_start, space, options.warm_top)
        E.emit(observer, E.WarmStartPlanned(str(options.warm_start), tuple(warm)))
    # The rest of the pre-flight (the trainable's declared keys and ranges, the data) imports torch and reads
    # data: seconds that run beside Ray's start instead of before it. No trial starts until it has passed.
    checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep-preflight")
    checked = checks.submit(preflight, spec.replace(space=space), trainable)
    checks.shutdown(wait=False)
    directory = SweepDir.create(options.storage, spec.name, options.cache)
    directory.write_spec(spec)
    if options.warm_start is not None:
        write_plan(directory.root, options.warm_start, warm)
    slots = round_slots(spec, space, options.staged)
    directory.state.create(
        SweepState(
            name=spec.name, metric=spec.metric, mode=spec.mode, params=list(space.names), started_at=time.time(),
            project_dir=str(project), remote=directory.remote, options=options.to_dict(),
            rounds=[slot.to_dict() for slot in slots],
        )
    )  # fmt: skip
    try:
        with hold_driver_lock(directory.root, "launch"):
            return drive(
                directory, run, clock_start, checked, function, by_value=trainable is not None, observer=observer
            )
    except SweepError:
        if checked.done() and checked.exception() is not None and directory.remote is None:
            shutil.rmtree(directory.root, ignore_errors=True)  # a spec that never ran leaves nothing behind
        raise


def resume_sweep(
    path: str | Path,
    options: RunOptions | None = None,
    trainable: Callable[[dict], Any] | None = None,
    trust: bool = False,
    fresh: bool = False,
    observer: E.Observer | None = None,
) -> SweepResult:
    """Continues an interrupted sweep (Ctrl-C, a killed driver, a reboot) where it stopped.

    Finished trials are not rerun; unfinished ones restart from their last checkpoint (`Tuner.restore`);
    rounds not yet planned are planned from everything found so far.

    Args:
        path: the sweep directory (or URI).
        options: where Ray runs and how loud (what is tuned comes from the sweep).
        trainable: the function object a notebook's sweep ran (`run_sweep(..., trainable=)`).
        trust: restore Ray's saved state even when it is not signed with this user's key (written by another
            user or machine): restoring unpickles it, which can run any code it holds.
        fresh: do not restore Ray's saved state: run the rest of the plan in a new Tuner, from the tables
            (every finished trial stays; unfinished ones start again from their first epoch).
        observer: called with each event of the run, as for :func:`run_sweep`.

    Example:
        >>> from sweep import resume_sweep
        >>> resume_sweep("sweeps/digits-momentum-20261122-120000")  # doctest: +SKIP
    """
    observer = E.guarded(observer)  # a caller's observer that raises is warned about, not fatal
    directory = SweepDir.open(path, options.cache if options else None)
    check_sweep_dir(directory)  # a damaged file is refused in one line before Ray starts
    with hold_driver_lock(directory.root, "resume", directory.state.read().status):
        if fresh:
            directory.state.update(fresh_experiment)
        run = SweepRun.read(directory, _run_options(directory, options))
        return drive(directory, run, function=trainable, trust=trust, observer=observer)


def refine_sweep(
    path: str | Path,
    rounds: int = 1,
    samples: int | None = None,
    options: RunOptions | None = None,
    observer: E.Observer | None = None,
) -> SweepResult:
    """Adds `rounds` zoomed rounds to a sweep, zooming from everything it has found so far (events to
    `observer`, as for :func:`run_sweep`).

    Example:
        >>> from sweep import refine_sweep
        >>> refine_sweep("sweeps/digits-momentum-20261122-120000", rounds=1, samples=8)  # doctest: +SKIP
    """
    observer = E.guarded(observer)  # a caller's observer that raises is warned about, not fatal
    if rounds < 1:
        raise SweepError(f"--rounds must be at least 1, got {rounds}")
    directory = SweepDir.open(path, options.cache if options else None)
    check_sweep_dir(directory)
    spec = directory.read_spec()
    run = SweepRun.of(spec, _run_options(directory, options))

    def add_rounds(state: SweepState) -> None:
        slots = [RoundSlot(**slot) for slot in state.rounds]
        for _ in range(rounds):
            slots.append(RoundSlot(len(slots) + 1, None, zoom=True, samples=samples or spec.samples))
        state.rounds = [slot.to_dict() for slot in slots]
        state.experiment = None  # the new rounds run in a Tuner of their own (ray/refine-N)
        state.budget_spent = False

    with hold_driver_lock(directory.root, "refine", directory.state.read().status):
        refuse_unfinished(directory)
        directory.state.update(add_rounds)
        return drive(directory, run, observer=observer)


def refuse_unfinished(directory: SweepDir) -> None:
    """Refine zooms from a finished sweep: one with rounds still to run is resumed first (refining it would run
    the rest, then plan a round nobody asked for)."""
    from sweep.run.liveness import effective_status

    state = directory.state.read()
    open_rounds = [str(slot["number"]) for slot in state.rounds if not state.is_done(int(slot["number"]))]
    if state.status != "completed" or open_rounds:
        rounds = f" (round {', '.join(open_rounds)} not finished)" if open_rounds else ""
        status = effective_status(state.to_dict())
        raise SweepError(
            f"sweep {directory.location} is {status}{rounds}: finish it first with "
            f"`sweep resume {directory.location}`, then refine it"
        )


def check_storage(storage: str | Path) -> None:
    """Refuses a local `--storage` that is not a directory sweep can write in (a file, a read-only mount, no
    permission), creating it when missing, as `launch` would; a URI is the remote store's to refuse.

    Example:
        >>> check_storage("/proc/version")
        Traceback (most recent call last):
        sweep_errors.SweepError: --storage /proc/version: not a directory; give a directory to create the sweep in
    """
    from sweep.store.remote import is_uri

    if not is_uri(storage):
        check_writable_dir(storage, "--storage", "the sweep")


def _run_options(directory: SweepDir, given: RunOptions | None) -> RunOptions:
    """The options sweep.json recorded at launch (options of another version are damage, named in one line), with
    where Ray runs and how loud from `given`: what is tuned may not change."""
    try:
        saved = RunOptions.from_dict(directory.state.read().options)
    except (TypeError, ValueError) as err:
        raise damaged(directory.root / STATE_FILE, f"its options are not this version's ({err})") from None
    if given is None:
        return saved
    return replace(
        saved, address=given.address, cpus=given.cpus, quiet=given.quiet, max_concurrent=given.max_concurrent,
        fail_fast=given.fail_fast, dashboard=given.dashboard,
    )  # fmt: skip


def _reference(function: Callable[..., Any]) -> str:
    """The name a function object is recorded under in spec.yaml (``module:name``)."""
    module = str(getattr(function, "__module__", None) or "__main__")
    name = str(getattr(function, "__name__", "train"))
    return f"{module}:{name if name.isidentifier() else 'train'}"
