"""`sweep up` / `sweep down`: keep a local Ray running between sweeps, and stop it."""

from __future__ import annotations

import typer

from sweep.cli.app import app


@app.command("up")
def up(
    cpus: int = typer.Option(None, "--cpus", min=1, help="CPUs the local Ray offers (default: all)."),
    port: int = typer.Option(6390, "--port", min=1024, max=65535, help="Port of Ray's GCS on 127.0.0.1."),
    no_dashboard: bool = typer.Option(False, "--no-dashboard", help="Do not start Ray's dashboard."),
) -> None:
    """Start a local Ray that every later `sweep launch` joins (no Ray start per sweep); `sweep down` stops it.

    Everything binds to 127.0.0.1 with Ray's token authentication on.

    Example: sweep up --cpus 2
    """
    from sweep.cluster.environment import prepare_environment
    from sweep.cluster.warm import up as start

    prepare_environment(local=True)
    warm = start(cpus=cpus, port=port, dashboard=not no_dashboard)
    typer.echo(f"local Ray up at {warm.address}: `sweep launch` uses it; `sweep down` stops it")
    if warm.dashboard_url:
        typer.echo(f"dashboard: {warm.dashboard_url}  (token: `ray get-auth-token`)")


@app.command("down")
def down(
    force: bool = typer.Option(False, "--force", help="Stop it even while a sweep runs on it (it is interrupted)."),
) -> None:
    """Stop the local Ray that `sweep up` started (nothing else); refused while a sweep runs on it.

    Example: sweep down
    """
    from sweep.cluster.warm import down as stop

    typer.echo("local Ray stopped" if stop(force=force) else "no local Ray from `sweep up` is running")
