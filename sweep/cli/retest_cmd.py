"""`sweep retest`: retrain the top configs with fresh seeds (or new data); does the ranking hold?"""

from __future__ import annotations

import typer

from sweep.cli.app import app


@app.command("retest")
def retest(
    directory: str = typer.Argument(..., help="A sweep directory (see `sweep ls`)."),
    top: int = typer.Option(3, "--top", "-k", min=1, help="How many of the best configs to retrain."),
    seeds: int = typer.Option(3, "--seeds", "-n", min=1, help="Fresh seeds per config."),
    data: str = typer.Option(None, "--data", help="Train on this data instead: a dataset name or a file path."),
    address: str = typer.Option(None, "--address", help="Ray cluster: auto, HOST:PORT or ray://HOST:PORT."),
    cpus: int = typer.Option(None, "--cpus", min=1, help="CPUs of the local Ray (default: all)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", metavar="", help="No progress lines."),
) -> None:
    """Retrain the top K configs at full budget with N new seeds on Ray; report mean ± std and the ranking.

    Appends one row per config per seed to DIR/retest.csv and one row per config to DIR/retest_summary.csv.
    Built-in trainables only (a custom function trainable has no test split to score).

    Example: sweep retest sweeps/digits-momentum-20261122-120000 --top 3 --seeds 5
    """
    from sweep import events as E
    from sweep.cli.render import Printer
    from sweep.store.layout import RETEST_FILE, RETEST_SUMMARY_FILE
    from sweep.winners.retest import RetestFailed
    from sweep.winners.retest import retest as run_retest

    printer = E.trusted(Printer(quiet))  # the CLI's own: not guarded, as any of its output
    result = run_retest(directory, top=top, seeds=seeds, data=data, address=address, cpus=cpus, observer=printer)
    first_error = result.first_error()
    if first_error is not None:  # nothing retrained: no table of empty means, and the run's exit code says so
        rows = f"{len(result.rows)} rows in {RETEST_FILE}"
        raise RetestFailed(f"every retest run failed ({rows}); the first: {first_error}")
    typer.echo(result.text())
    typer.echo(f"appended {len(result.rows)} rows to {RETEST_FILE} and {len(result.summary)} to {RETEST_SUMMARY_FILE}")
