"""`sweep ls`, `sweep show`, `sweep export`: the results on disk, without Ray."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import typer

from search_spaces.errors import SweepError
from sweep.cli.app import app
from sweep.store import schema as S
from sweep.store.layout import STATE_FILE
from sweep.store.results import load
from sweep.winners.summary import summary_text, top_table


@app.command("ls")
def list_sweeps(storage: str = typer.Argument("sweeps", help="Directory holding sweep directories.")) -> None:
    """List sweeps: name, status, trials, best metric, when started.

    Example: sweep ls sweeps
    """
    root = Path(storage)
    if not root.is_dir():
        looked = "" if root.is_absolute() else f" (looked in {root.resolve()})"
        raise SweepError(
            f"storage directory '{storage}' not found{looked}: give the directory your sweeps were launched into "
            "(their --storage; default ./sweeps), e.g. `sweep ls /shared/sweeps`"
        )
    rows = []
    for state_file in sorted(root.glob(f"*/{STATE_FILE}")):
        try:
            result = load(state_file.parent)
        except (SweepError, json.JSONDecodeError, OSError):
            continue
        best = result.state.get("summary", {}).get("best", {}).get("metric")
        if best is None and not result.trials.empty:
            best = result.best()[S.BEST]
        started = time.localtime(result.state.get("started_at", 0))
        rows.append({
            "sweep": state_file.parent.name, "status": result.status, "trials": len(result.trials),
            "best": best, "started": time.strftime("%Y-%m-%d %H:%M", started),
        })  # fmt: skip
    if not rows:
        typer.echo(f"no sweeps in {storage}")
        return
    typer.echo(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))


@app.command("show")
def show(
    directory: str = typer.Argument(..., help="A sweep directory."),
    top: int = typer.Option(10, "--top", "-k", min=1, help="How many trials to show."),
) -> None:
    """Print a sweep's top trials, statuses and the winner's test accuracy.

    Example: sweep show sweeps/digits-momentum-20261122-120000 --top 5
    """
    result = load(directory)
    if "summary" in result.state:
        typer.echo(summary_text(result, top))
    else:
        typer.echo(f"{result.path.name}: {result.status}, {len(result.trials)} trials finished so far")
        typer.echo(top_table(result, top))
        if result.status == "interrupted":
            typer.echo(f"continue with: sweep resume {result.path}")


@app.command("export")
def export(
    directory: str = typer.Argument(..., help="A sweep directory."),
    output: str = typer.Option(..., "--output", "-o", help="File to write: .csv or .parquet."),
    top: int = typer.Option(None, "--top", "-k", min=1, help="Only the best K trials."),
    status: list[str] = typer.Option([], "--status", help="Only trials with this status (repeatable)."),
    history: bool = typer.Option(False, "--history", help="Export the per-epoch history of those trials instead."),
) -> None:
    """Write the trials table (or their history) to CSV or Parquet, best first; creates the output's directory.

    Example: sweep export sweeps/digits-momentum-20261122-120000 -o best.csv --top 10 --status completed
    """
    unknown = sorted(set(status) - set(S.STATUSES))
    if unknown:
        raise SweepError(f"--status: unknown status '{unknown[0]}' (choose {', '.join(S.STATUSES)})")
    path = Path(output)
    if path.suffix not in (".csv", ".parquet"):
        raise SweepError(f"--output '{output}': use a .csv or .parquet file name")
    result = load(directory)
    table = result.ranked()
    if status and not table.empty:
        table = table[table[S.STATUS].isin(status)]
    if top is not None:
        table = table.head(top)
    if history:
        table = result.history[result.history[S.PLAN_ID].isin(table[S.PLAN_ID])] if not table.empty else table
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SweepError(
            f"--output '{output}': cannot create its directory '{path.parent}' ({err.strerror}): "
            "give a path in a writable directory"
        ) from None
    try:
        if path.suffix == ".csv":
            table.to_csv(path, index=False)
        else:
            table.to_parquet(path, index=False)
    except OSError as err:
        raise SweepError(f"--output '{output}': cannot write it ({err.strerror}): give a writable path") from None
    typer.echo(f"wrote {len(table)} rows to {path}")
