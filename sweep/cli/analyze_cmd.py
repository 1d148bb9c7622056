"""`sweep analyze`: top trials, hyperparameter importance, best regions, plots and an HTML report."""

from __future__ import annotations

import typer

from sweep.cli.app import app


@app.command("analyze")
def analyze(
    path: str = typer.Argument(..., help="A sweep directory, or a .csv/.parquet written by `sweep export`."),
    top: int = typer.Option(5, "--top", "-k", min=1, help="How many trials to list in the terminal."),
    history: str = typer.Option(None, "--history", help="With an exported table: its `export --history` file."),
    no_plots: bool = typer.Option(False, "--no-plots", metavar="", help="Print only; write no plots or report."),
    next_spec: str = typer.Option(
        None,
        "--next-spec",
        help="Write the next sweep's spec here (YAML): ranges widened or zoomed, settled ones held.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace the --next-spec file when it exists."),
) -> None:
    """Show what a sweep found: top trials, each hyperparameter's importance, and where the good values lie.

    Writes PNG plots to DIR/plots/ and one self-contained DIR/report.html (for an exported CSV:
    <stem>-plots/ and <stem>-report.html beside it). Needs no Ray: it reads the files on disk.

    Ends with the recipe advisor's advice (edge of range, bias vs variance, tiers); --next-spec writes
    that advice as a spec for `sweep launch`.

    Example: sweep analyze sweeps/digits-momentum-20261122-120000 --next-spec next.yaml
    """
    from sweep.analysis import analyze as run_analysis

    if next_spec is not None:  # a user's own spec there is not overwritten, and nothing is done before saying so
        from sweep.store.writable import refuse_to_replace

        refuse_to_replace(next_spec, "--next-spec", force)
    analysis = run_analysis(path, history=history, top=max(top, 10), plots=not no_plots)
    typer.echo(analysis.text(top))
    if analysis.report is not None:
        count = len(analysis.plots)
        typer.echo(f"\nwrote {count} plot{'' if count == 1 else 's'} to {analysis.result.plots_dir}")
        typer.echo(f"report: {analysis.report}")
    if next_spec is not None:
        from sweep.analysis.next_sweep import write_next_spec

        written = write_next_spec(analysis, next_spec)
        typer.echo(f"next spec: {written} (run it with: sweep launch {written})")
