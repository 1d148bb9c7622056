"""The driver loop behind run, resume and refine.

It runs the rounds in sweep.json not yet done in one Ray Tune `Tuner` (restored with `Tuner.restore` when Ray
has a snapshot of it), whose searcher plans each round as the previous one winds down
(:mod:`sweep.run.searcher`), then prints the summary and scores the winner (:mod:`sweep.winners.summary`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from sweep import events as E
from sweep.cluster.launcher import check_fits, cluster_resources, needs_shipping, runtime_env
from sweep.cluster.local import connect, disconnect, requested_address
from sweep.run.disk_full import (
    DiskFullError,
    causes,
    end_on_full_disk,
    is_disk_full,
    make_reserve,
    release_reserve,
    requeue_after_full_disk,
)
from sweep.run.liveness import driver_record, on_forced_stop
from sweep.run.ray_log import log_ray_to
from sweep.run.resume_checks import check_plans, check_saved_state
from sweep.run.rounds import RoundSlot
from sweep.run.sweep_run import SweepRun
from sweep.store import schema as S
from sweep.store.layout import SweepDir
from sweep.store.results import SweepResult, load
from sweep.store.tables import StorageError, read_table, rewrite_table
from sweep_errors import SweepError


def resolve(trainable: str, project: Path) -> Callable[[dict], None]:
    """The trainable function; a user's module is looked up in their project directory first."""
    import sys

    from trainables import resolve_trainable

    if str(project) not in sys.path:
        sys.path.insert(0, str(project))
    return resolve_trainable(trainable)


def drive(
    directory: SweepDir,
    run: SweepRun,
    clock_start: float | None = None,
    checked: Future[None] | None = None,
    function: Callable[[dict], Any] | None = None,
    trust: bool = False,
    by_value: bool = True,
    observer: E.Observer | None = None,
) -> SweepResult:
    """Runs the rounds not yet done in one Tuner (restored when Ray has a snapshot of it), then the summary.

    Ray's saved state is checked before Ray starts (:func:`check_saved_state`): whole, and signed by this user
    unless `trust`. `function` is the trainable when the caller has it already; `by_value`: it is a function
    object of the user's (a notebook's), which travels to Ray's workers by value. What happens is told to
    `observer` (:mod:`sweep.events`).
    """
    clock_start = time.time() if clock_start is None else clock_start
    try:  # Ctrl-C (or SIGTERM) before Ray runs the rounds, its start's seconds included: the same stop
        requeue_after_full_disk(directory, observer)  # before the check: Ray's state from a full disk is not used
        check_saved_state(directory, directory.state.read().experiment, trust)
        state = directory.state.update(lambda state: setattr(state, "driver", driver_record()))
        spec, options = run.spec, run.options
        project = Path(state.project_dir or Path.cwd())
        by_value = by_value and function is not None
        if by_value and function is not None:
            from sweep.run.one_trial import ship_by_value

            ship_by_value(function)
        trainable = function or resolve(spec.trainable, project)
        check_plans(directory, spec, run.space, observer)
        from trainables.registry import builtin_names

        ship = needs_shipping(spec, builtin_names()) and not by_value
        if directory.remote is None:
            make_reserve(directory.root)
        local = requested_address(options.address)[0] is None  # RAY_ADDRESS joins a cluster too
        env = runtime_env(project, ship, options.storage, local=local)
        with E.timed(observer, "ray_start"):
            connection = connect(options.address, options.cpus, dashboard=options.dashboard, runtime_env=env)
    except KeyboardInterrupt:
        release_reserve(directory.root)
        _mark_interrupted(directory, observer)
        return load(directory.root)
    phases = {"start": round(time.time() - clock_start, 3)}
    from sweep.run.tuner import prune_checkpoints  # imports ray: only after connect() has set its environment

    try:
        if checked is not None:
            checked.result()  # the pre-flight's one-line error, before any trial (and before its path is printed)
        nodes = cluster_resources()
        cpus = sum(node.get("CPU", 0.0) for node in nodes)
        started = E.SweepStarted(
            directory.location, connection.note, connection.auth_hint(), connection.started_here, cpus
        )
        E.emit(observer, started)
        check_fits(spec, nodes)
        if options.final_test:
            from sweep.winners.summary import prewarm

            prewarm(spec)
        slots = [RoundSlot(**slot) for slot in state.rounds]
        todo = [slot for slot in slots if not state.is_done(slot.number)]
        if todo:
            fit_started = time.time()
            with on_forced_stop(lambda: _mark_interrupted(directory, observer)), E.timed(observer, "rounds"):
                finished = run_rounds(directory, run, slots, todo, trainable, clock_start, observer)
            phases["trials"] = round(time.time() - fit_started, 3)
            if not finished:
                _mark_interrupted(directory, observer)
                return load(directory.root)
            state = directory.state.update(lambda state: state.finish_rounds(slot.number for slot in todo))
            _compact(directory)
            directory.sync()
            if directory.remote is None and state.experiment:
                prune_checkpoints(directory.ray_dir / state.experiment)
        directory.state.update(lambda state: setattr(state, "status", "completed"))
        from sweep.winners.summary import finish

        with E.timed(observer, "summary"):
            result = finish(directory, spec, options, phases, clock_start, observer)
        directory.sync()
        return result
    except KeyboardInterrupt:
        _mark_interrupted(directory, observer)
        return load(directory.root)
    except DiskFullError:
        raise
    except (StorageError, OSError) as err:
        if is_disk_full(err) or (isinstance(err, StorageError) and _full(directory)):
            raise end_on_full_disk(directory) from None  # interrupted, one line; resume goes on from the rows
        if isinstance(err, StorageError):
            with contextlib.suppress(OSError):  # a read-only or lost mount: the state file may fail too
                _mark_interrupted(directory, observer)
        raise
    finally:
        release_reserve(directory.root)
        with E.timed(observer, "ray_shutdown"):
            disconnect(connection)
        E.emit(observer, E.PhaseTimed("sweep", clock_start, time.time()))


def _full(directory: SweepDir) -> bool:
    """Whether the sweep's disk has (almost) no room left: a StorageError's usual cause."""
    import shutil

    try:
        return shutil.disk_usage(directory.root).free < 64 * 1024
    except OSError:
        return False


def _mark_interrupted(directory: SweepDir, observer: E.Observer | None) -> None:
    directory.state.update(lambda state: setattr(state, "status", "interrupted"))
    directory.sync()
    E.emit(observer, E.Interrupted(directory.location))


def run_rounds(
    directory: SweepDir,
    run: SweepRun,
    slots: list[RoundSlot],
    todo: list[RoundSlot],
    trainable: Callable[[dict], None],
    clock_start: float,
    observer: E.Observer | None = None,
) -> bool:
    """Runs (or restores) the Tuner for the rounds in `todo`; True when the sweep got to its end."""

    from sweep.run.budget import Budget
    from sweep.run.recorder import SweepInfo
    from sweep.run.stoppers import DiskFullStop
    from sweep.run.sweep_plan import SweepPlan
    from sweep.run.tuner import sweep_tuner
    from sweep.run.watchdog import SweepStalled, Watchdog
    from sweep.schedulers import get_scheduler

    spec, options = run.spec, run.options
    state = directory.state.read()
    name = state.experiment or ("sweep" if todo[0].number == 1 else f"refine-{todo[0].number}")
    if state.experiment != name:
        directory.state.update(lambda state: setattr(state, "experiment", name))
    log_ray_to(directory.ray_tune_log)  # Ray Tune's messages and Ray's "(raylet) A worker died ..."
    budget = None
    if spec.time_budget is not None:
        budget = Budget(max(spec.time_budget - (time.time() - clock_start), 0.001))
    info = SweepInfo(
        sweep_root=str(directory.root), stages={slot.number: slot.stage for slot in slots},
        planned=sum(slot.samples for slot in todo), metric=spec.metric, mode=spec.mode, max_t=run.max_t,
        milestones=run.milestones, started_at=state.started_at,
        deadline=None if spec.time_budget is None else clock_start + spec.time_budget,
        early_stopping=spec.early_stopping is not None, first_round=todo[0].number, observer=observer,
    )  # fmt: skip
    plan = SweepPlan(
        directory, spec.to_dict(), run.space.to_dict(), tuple(todo), observer=observer,
        pbt_interval=get_scheduler(spec.scheduler.type).checkpoint_interval(spec.scheduler),
    )  # fmt: skip
    watchdog, disk = Watchdog(options.stall_seconds), DiskFullStop()
    tuner = sweep_tuner(trainable, run, plan, info, name, budget, (watchdog, disk))
    try:
        tuner.fit()
    except Exception as err:  # Ray wraps what a callback raised; a full disk is one line, the rows stay
        if is_disk_full(err):
            raise end_on_full_disk(directory) from None
        storage = next((seen for seen in causes(err) if isinstance(seen, StorageError)), None)
        if storage is None:
            raise
        raise storage from None
    if disk.fired:
        raise end_on_full_disk(directory)
    if watchdog.fired:
        unstarted = set(directory.state.read().not_started)
        running = [str(slot.number) for slot in todo if not _round_recorded(directory, slot, unstarted)]
        directory.state.update(lambda state: setattr(state, "status", "interrupted"))
        directory.sync()
        waiting = f"round {', '.join(running)} not finished" if running else "every round recorded"
        raise SweepStalled(watchdog.diagnosis(directory.location, waiting))
    failure = _errored(directory, {slot.number for slot in todo}) if options.fail_fast else ""
    if failure:
        directory.state.update(lambda state: setattr(state, "status", "failed"))
        directory.sync()
        raise SweepError(
            f"a trial failed and --fail-fast stopped the sweep: {failure}; "
            f"the results so far are in {directory.location}"
        )
    state = directory.state.read()  # the searcher and the budget stopper recorded their ends in it
    if state.budget_spent:
        return True
    unstarted = set(state.not_started)
    return all(_round_recorded(directory, slot, unstarted) for slot in todo)


def _round_recorded(directory: SweepDir, slot: RoundSlot, not_started: set[str]) -> bool:
    """Whether each config planned for the round has a final row (or was left unstarted). A round whose plan
    file is gone (deleted by hand) counts its rows instead: it is recorded once it has a row per sample."""
    from sweep.run.sweep_plan import read_plan
    from sweep.store.plan_ids import round_or_none

    trials = read_table(directory.trials_csv, key=[S.PLAN_ID])
    done = set() if trials.empty else set(trials[S.PLAN_ID].astype(str))
    if not directory.round_plan(slot.number).exists():
        mine = {p for p in done | not_started if round_or_none(p) == slot.number}
        return len(mine) >= slot.samples
    planned = {str(c[S.PLAN_ID]) for c in read_plan(directory, slot.number)}
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
