"""`sweep ls`, `sweep show`, `sweep export`: the results on disk, without Ray."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sweep.cli.app import app
from sweep.store import schema as S
from sweep.store.layout import STATE_FILE
from sweep.store.writable import refuse_to_replace
from sweep_errors import SweepError

if TYPE_CHECKING:
    from sweep.store.results import SweepResult

# pandas and the result tables are imported by the commands that read them, so that every other command (and
# `sweep --help`) starts without pandas' import.


@app.command("ls")
def list_sweeps(
    storage: str = typer.Argument("sweeps", help="Directory (or URI: s3://..., file://...) holding sweeps."),
) -> None:
    """List sweeps: name, status, trials, best metric, when started.

    Example: sweep ls sweeps
    """
    import pandas as pd

    from sweep.store.results import load
    from sweep.store.tables import TableWarning

    rows, damage = [], []
    for location in _sweeps_in(storage):
        try:
            with warnings.catch_warnings():  # a dropped row is `show`'s to report; ls lists
                warnings.simplefilter("ignore", TableWarning)
                result = load(location)
            rows.append(_listing(result))
        except SweepError as err:  # one damaged sweep is listed as such; the others still are
            rows.append({"sweep": str(location).rstrip("/").rsplit("/", 1)[-1], "status": "damaged", "trials": "-",
                         "best": "-", "started": "-"})  # fmt: skip
            damage.append(str(err))
    if not rows:
        typer.echo(f"no sweeps in {storage}")
        return
    typer.echo(pd.DataFrame(rows).to_string(index=False))
    for line in damage:
        typer.echo(f"warning: damaged: {' '.join(line.split())}", err=True)


def _sweeps_in(storage: str) -> list[str] | list[Path]:
    """The sweeps a storage directory (or the URI of one: a sweep's --storage) holds, sorted by name."""
    from sweep.store.remote import is_uri, sweeps_at

    root = Path(storage)
    if is_uri(storage):
        found = sweeps_at(storage)
        if found is not None:
            return found
    elif root.is_dir():
        children = sorted(path for path in root.iterdir() if path.is_dir() and not path.name.startswith("."))
        # a loop or a dangling link is damage, not absence
        return [child for child in children if (child / STATE_FILE).exists() or (child / STATE_FILE).is_symlink()]
    looked = "" if is_uri(storage) or root.is_absolute() else f" (looked in {root.resolve()})"
    raise SweepError(
        f"storage directory '{storage}' not found{looked}: give the directory your sweeps were launched into "
        "(their --storage; default ./sweeps), e.g. `sweep ls /shared/sweeps`"
    )


def _listing(result: SweepResult) -> dict[str, object]:
    """One sweep's row in `sweep ls`: its best metric only when it has a winner (never NaN)."""
    from sweep.winners.failures import winner

    best = winner(result)
    status = result.status
    if status == "completed" and best is None and not result.trials.empty:
        status = "failed"  # written before sweeps without a usable trial ended `failed`
    started = time.localtime(float(result.state.get("started_at") or 0))
    return {
        "sweep": result.name, "status": status, "trials": len(result.trials),
        "best": "-" if best is None else f"{float(best[S.BEST]):.4f}",
        "started": time.strftime("%Y-%m-%d %H:%M", started),
    }  # fmt: skip


@app.command("show")
def show(
    directory: str = typer.Argument(..., help="A sweep directory."),
    top: int = typer.Option(10, "--top", "-k", min=1, help="How many trials to show."),
) -> None:
    """Print a sweep's top trials, statuses and the winner's test accuracy.

    Example: sweep show sweeps/digits-momentum-20261122-120000 --top 5
    """
    from sweep.store.results import load
    from sweep.winners.summary import summary_text, top_table

    result = load(directory)
    if "summary" in result.state:
        typer.echo(summary_text(result, top))
        retested = _retest_lines(result)
        if retested:
            typer.echo(retested)
    else:
        typer.echo(f"{result.name}: {result.status}, {len(result.trials)} trials finished so far")
        typer.echo(top_table(result, top))
        if result.status == "interrupted":
            typer.echo(f"continue with: sweep resume {result.location}")


def _retest_lines(result: SweepResult) -> str | None:
    """The latest `sweep retest` of this sweep, when there is one: its winner may not be the sweep's."""
    from sweep.store.layout import SweepDir
    from sweep.store.tables import read_table
    from sweep.winners.retest_result import latest_retest_text

    path = SweepDir(result.path).retest_summary_csv
    if not path.is_file():
        return None
    winner = None if result.ranked().empty else str(result.best()[S.PLAN_ID])
    return latest_retest_text(read_table(path, key=None), winner)


@app.command("export")
def export(
    directory: str = typer.Argument(..., help="A sweep directory."),
    output: str = typer.Option(..., "--output", "-o", help="File to write: .csv or .parquet."),
    top: int = typer.Option(None, "--top", "-k", min=1, help="Only the best K trials."),
    status: list[str] = typer.Option([], "--status", help="Only trials with this status (repeatable)."),
    history: bool = typer.Option(False, "--history", help="Export the per-epoch history of those trials instead."),
    force: bool = typer.Option(False, "--force", help="Replace the output file when it exists."),
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
    refuse_to_replace(output, "--output", force)
    from sweep.store.results import load

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
