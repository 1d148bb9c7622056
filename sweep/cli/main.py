"""Entry point of the `sweep` console script: registers one small module per command.

Every command raises :class:`SweepError` for a user mistake; :func:`main` turns it into one line on
stderr and exit code 2, so no user error ever ends in a traceback.
"""

from __future__ import annotations

import sys

import typer

from search_spaces.errors import SweepError
from sweep.local_ray import prepare_environment

app = typer.Typer(
    name="sweep",
    help=(
        "Hyperparameter sweeps for PyTorch on Ray Tune: random search on the right scale, ASHA pruning, "
        "coarse-to-fine rounds.\n\nExample: sweep launch                # the bundled default sweep"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    """Import the command modules; each one adds its command to `app`."""
    from sweep.cli import commands  # noqa: F401  (registration happens on import)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a SweepError becomes `error: <message>` on stderr and exit code 2."""
    prepare_environment(local=False)  # before anything imports ray; connect() adds the local-only settings
    _register()
    try:
        app(args=argv, standalone_mode=False)
    except SweepError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as err:  # click's usage errors carry their own exit code
        import click

        if isinstance(err, click.exceptions.ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise
