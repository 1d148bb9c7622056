"""`sweep launch`: run a sweep on the embedded local Ray or a cluster."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import typer

from search_spaces import load_spec, parse_assignment
from search_spaces.checks import need_choice
from search_spaces.durations import parse_duration
from search_spaces.spec import SAMPLERS
from sweep import events as E
from sweep.checks.assignments import check_assignments
from sweep.cli.app import app
from sweep.run.liveness import term_as_interrupt
from sweep.run.sweep_run import RunOptions

EVENTS_HELP = (
    "Also append the sweep's events to FILE as JSON lines (phases with their times, trials, summary); FILE is new "
    "or an events log already."
)
INTERRUPTED_EXIT = 130
TERMINATED_EXIT = 143


@app.command("launch")
def launch(
    spec: str = typer.Argument(None, help="Spec YAML path or preset name (default: the bundled default preset)."),
    samples: int = typer.Option(None, "--samples", "-n", min=1, help="Configs sampled per round."),
    rounds: int = typer.Option(None, "--rounds", min=1, help="Coarse-to-fine rounds."),
    sampler: str = typer.Option(None, "--sampler", help="random, sobol, grid or tpe (Optuna's TPE via Ray)."),
    epochs: int = typer.Option(None, "--epochs", min=1, help="Hold `epochs` at this value (the budget per trial)."),
    time_budget: str = typer.Option(
        None, "--time-budget", help="Stop the whole sweep after this long (90s, 10m, 2h), then score the winner."
    ),
    trial_timeout: str = typer.Option(
        None, "--trial-timeout", help="Stop any trial that trains longer than this (status: timeout)."
    ),
    tier: list[int] = typer.Option([], "--tier", help="Tune only this tier (repeatable); others at defaults."),
    set_: list[str] = typer.Option([], "--set", help="Hold a parameter: key=value (repeatable)."),
    staged: bool = typer.Option(False, "--staged", help="Tune tier 1, then tier 2 with tier 1 at its best, ..."),
    name: str = typer.Option(None, "--name", help="Sweep name (directory prefix)."),
    storage: str = typer.Option("sweeps", "--storage", help="Directory that holds sweep directories."),
    seed: int = typer.Option(None, "--seed", help="Sampling seed."),
    cpus: int = typer.Option(None, "--cpus", min=1, help="CPUs of the local Ray (default: all)."),
    max_concurrent: int = typer.Option(None, "--max-concurrent", min=1, help="At most this many trials at once."),
    address: str = typer.Option(None, "--address", help="Ray cluster: auto, HOST:PORT or ray://HOST:PORT."),
    fail_fast: bool = typer.Option(False, "--fail-fast", help="Stop at the first trial error."),
    no_dashboard: bool = typer.Option(False, "--no-dashboard", help="Do not start Ray's dashboard."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress line or tables."),
    warm_start: str = typer.Option(
        None, "--warm-start", metavar="DIR", help="Re-tune: round 1 re-trains this earlier sweep's best configs."
    ),
    warm_top: int = typer.Option(3, "--warm-top", min=1, help="How many of the earlier sweep's configs."),
    events: str = typer.Option(None, "--events", metavar="FILE", help=EVENTS_HELP),
) -> None:
    """Run a sweep: sample configs, train them on Ray with ASHA pruning, zoom in over rounds.

    Results land in STORAGE/NAME-TIMESTAMP/ (trials.csv, history.csv) as they arrive.

    Example: sweep launch digits-momentum --samples 32 --rounds 2
    (re-tune later: sweep launch digits-momentum --warm-start sweeps/digits-momentum-20261122-120000)
    """
    from sweep.run.launch import run_sweep

    loaded = load_spec(spec)
    given = {"samples": samples, "name": name, "seed": seed, "max_concurrent": max_concurrent}
    changes: dict = {key: value for key, value in given.items() if value is not None}
    if rounds is not None:
        changes["rounds"] = replace(loaded.rounds, count=rounds)
    if sampler is not None:
        changes["sampler"] = need_choice("--sampler", sampler, SAMPLERS, "sampler")
    if time_budget is not None:
        changes["time_budget"] = parse_duration(time_budget, "--time-budget")
    if trial_timeout is not None:
        changes["trial_timeout"] = parse_duration(trial_timeout, "--trial-timeout")
    if epochs is not None:
        set_ = [*set_, f"epochs={epochs}"]
    loaded = loaded.replace(**changes)  # checked like the spec itself
    holds = tuple(parse_assignment(text) for text in set_)
    check_assignments(loaded, [key for key, _ in holds])
    options = RunOptions(
        storage=storage, address=address, cpus=cpus, fail_fast=fail_fast, quiet=quiet, staged=staged, tiers=tuple(tier),
        holds=holds, dashboard=not no_dashboard, warm_start=warm_start, warm_top=warm_top,
    )  # fmt: skip
    run_in_terminal(lambda observer: run_sweep(loaded, options, observer=observer), options, events)


def run_in_terminal(start: Callable[[E.Observer], Any], options: RunOptions, events: str | None) -> None:
    """Run a sweep call (`launch`, `resume`, `refine`) with the terminal's printer (and the `--events` log) as its
    observer, SIGTERM stopping it as Ctrl-C does; exit 130 after Ctrl-C, 143 after SIGTERM (the shell's codes)
    when it was interrupted (the sweep already printed its resume line)."""
    from sweep.cli.event_log import cli_observer
    from sweep.cli.render import Printer

    warn_if_more_cpus(options.cpus, options.address)
    with term_as_interrupt() as signals:
        result = start(cli_observer(Printer(options.quiet), events))
    if result.status == "interrupted":
        sys.exit(TERMINATED_EXIT if signals.received == signal.SIGTERM else INTERRUPTED_EXIT)


def machine_cores() -> int:
    """The cores this process may run on (its affinity; all of the machine's elsewhere)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def warn_if_more_cpus(cpus: int | None, address: str | None) -> None:
    """`--cpus` above the machine's cores runs more trials at once than there are cores: a warning line."""
    cores = machine_cores()
    if address is None and cpus is not None and cpus > cores:
        typer.echo(
            f"warning: --cpus {cpus} is more than this machine's {cores} cores: Ray will run trials for {cpus} CPUs "
            f"at once on {cores} cores, each slower; leave --cpus out to use the machine's cores",
            err=True,
        )
