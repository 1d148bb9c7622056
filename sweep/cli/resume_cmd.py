"""`sweep resume` and `sweep refine`: continue a sweep, or add zoomed rounds to it."""

from __future__ import annotations

import typer

from sweep.cli.app import app
from sweep.cli.launch_cmd import EVENTS_HELP, run_in_terminal
from sweep.run.sweep_run import RunOptions


@app.command("resume")
def resume(
    directory: str = typer.Argument(..., help="A sweep directory (see `sweep ls`)."),
    address: str = typer.Option(None, "--address", help="Ray cluster: auto, HOST:PORT or ray://HOST:PORT."),
    cpus: int = typer.Option(None, "--cpus", min=1, help="CPUs of the local Ray (default: all)."),
    max_concurrent: int = typer.Option(None, "--max-concurrent", min=1, help="At most this many trials at once."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress line or tables."),
    trust: bool = typer.Option(
        False, "--trust", help="Restore Ray state not signed by you (another user's or machine's): it is unpickled."
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="Ignore Ray's saved state: run the rest of the plan anew from the tables."
    ),
    events: str = typer.Option(None, "--events", metavar="FILE", help=EVENTS_HELP),
) -> None:
    """Continue an interrupted sweep: finished trials stay, unfinished ones restart from their checkpoints.

    Example: sweep resume sweeps/digits-momentum-20261122-120000
    """
    from sweep.run.launch import resume_sweep

    options = RunOptions(address=address, cpus=cpus, quiet=quiet, max_concurrent=max_concurrent)
    run_in_terminal(
        lambda observer: resume_sweep(directory, options, trust=trust, fresh=fresh, observer=observer), options, events
    )


@app.command("refine")
def refine(
    directory: str = typer.Argument(..., help="A sweep directory (see `sweep ls`)."),
    rounds: int = typer.Option(1, "--rounds", min=1, help="Zoomed rounds to add."),
    samples: int = typer.Option(None, "--samples", "-n", min=1, help="Configs per added round (default: the spec's)."),
    address: str = typer.Option(None, "--address", help="Ray cluster: auto, HOST:PORT or ray://HOST:PORT."),
    cpus: int = typer.Option(None, "--cpus", min=1, help="CPUs of the local Ray (default: all)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress line or tables."),
    events: str = typer.Option(None, "--events", metavar="FILE", help=EVENTS_HELP),
) -> None:
    """Add coarse-to-fine rounds to a finished sweep, zooming from everything found so far.

    Example: sweep refine sweeps/digits-momentum-20261122-120000 --rounds 1 --samples 16
    """
    from sweep.run.launch import refine_sweep

    options = RunOptions(address=address, cpus=cpus, quiet=quiet)
    run_in_terminal(
        lambda observer: refine_sweep(directory, rounds, samples, options, observer=observer), options, events
    )
