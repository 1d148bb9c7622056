"""Entry point of the `sweep` console script: registers one small module per command.

Every failure ends in one line on stderr, never a traceback:

* a user mistake (:class:`SweepError`, or a command-line mistake found by the parser: an unknown option or
  command, a missing argument, a bad value) is ``error: <message>``, exit 2 (a SweepError with its own
  ``exit_code``, like the full disk's ``StorageError``, exits with that: 1);
* anything else is a bug or an environment failure: ``error: unexpected <Type>: <message>`` naming a log file
  that holds the full traceback (under ``$XDG_CACHE_HOME/sweep/logs``, default ``~/.cache/sweep/logs``), exit 1.
  With ``SWEEP_DEBUG=1`` the traceback is printed instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from sweep.cli.app import app
from sweep.cluster.environment import prepare_environment
from sweep_errors import SweepError

USAGE_EXIT = 2
FAILURE_EXIT = 1
INTERRUPT_EXIT = 130
DEBUG_ENV = "SWEEP_DEBUG"


def _register() -> None:
    """Import the command modules; each one adds its command to `app` (they import app, not main: no cycle)."""
    from sweep.cli import (  # noqa: F401
        analyze_cmd,
        babysit_cmd,
        gradcheck_cmd,
        launch_cmd,
        resume_cmd,
        retest_cmd,
        sample_cmd,
        tables_cmd,
        train_cmd,
        up_cmd,
        validate_cmd,
    )


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every failure becomes one line on stderr (exit 2 for mistakes, 1 otherwise).

    Example:
        >>> main(["validate", "digits-adam"])  # doctest: +SKIP
    """
    prepare_environment(local=False)  # before anything imports ray; connect() adds the local-only settings
    _register()
    _warnings_as_lines()
    with _plain_log_lines():
        _run(argv)


def _run(argv: list[str] | None) -> None:
    """The command, each of its failures turned into its one line and exit code."""
    try:
        code = app(args=argv, prog_name="sweep", standalone_mode=False)
    except SweepError as err:
        _fail(str(err), getattr(err, "exit_code", USAGE_EXIT))
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("aborted", err=True)
        sys.exit(INTERRUPT_EXIT)
    except BrokenPipeError:  # `sweep sample ... | head`: the reader left; nothing to say (not even at exit's flush)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(FAILURE_EXIT)
    except Exception as err:
        if isinstance(err, _click_bases()) and hasattr(err, "format_message"):  # the parser's own error
            _usage(err)
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        _fail(unexpected_line(err, write_traceback_log(err)), FAILURE_EXIT)
    # Without standalone mode the parser turns Ctrl-C (and `--help`) into a returned exit code, not an exception.
    if code == INTERRUPT_EXIT:
        typer.echo("aborted", err=True)
    if isinstance(code, int) and code != 0:
        sys.exit(code)


def _warnings_as_lines() -> None:
    """Our own warnings (a table row dropped, an observer that raised) print as one ``warning: ...`` line, not
    Python's two-line form."""
    original = warnings.showwarning

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if category.__module__.split(".")[0] == "sweep":
            typer.echo(f"warning: {one_line(str(message))}", err=True)
        else:
            original(message, category, *args, **kwargs)

    warnings.showwarning = show


@contextlib.contextmanager
def _plain_log_lines() -> Iterator[None]:
    """While a command runs, log lines of sweep's own loggers print as plain sentences on stderr:
    Ray's handler on the root logger would add its time stamp, source line and structured fields (job_id=...).
    Undone afterwards, for a process that goes on (a test, a notebook calling main())."""
    import logging

    logger = logging.getLogger("sweep")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {one_line(message)}", err=True)
    sys.exit(code)


def one_line(text: str, limit: int = 500) -> str:
    """Collapse whitespace (newlines included) and cut long text from its middle, so an error is always one line
    and keeps its end, where the fix is named.

    Example:
        >>> one_line("bad value\\n  for x")
        'bad value for x'
        >>> one_line("sweep /" + "a" * 600 + " is damaged: fix it with --trust", limit=60)
        'sweep /aaaaaaaaaaaaa … aaaaa is damaged: fix it with --trust'
    """
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    head = limit // 3
    return f"{text[:head]} … {text[len(text) - (limit - head - 3) :]}"


# --- the parser's own errors (typer ≥ 0.29 raises from its bundled click, older ones from click) -------------
def _click_bases() -> tuple[type[BaseException], ...]:
    bases: list[type[BaseException]] = [typer.TyperException] if hasattr(typer, "TyperException") else []
    try:
        import click

        bases.append(click.ClickException)
    except ImportError:  # pragma: no cover (click is a dependency of Ray)
        pass
    return tuple(bases)


def _usage(err: Any) -> None:
    """`sweep` alone prints the help (exit 2); any other parser error is one line naming the help to read."""
    ctx = getattr(err, "ctx", None)
    if type(err).__name__ == "NoArgsIsHelpError" and ctx is not None:
        typer.echo(ctx.get_help())
        sys.exit(USAGE_EXIT)
    message = one_line(err.format_message())
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    code = getattr(err, "exit_code", USAGE_EXIT)
    _fail(message, USAGE_EXIT if code in (1, 2) else code)


# --- unexpected errors: one line, the traceback in a log file ----------------------------------------------------
def log_dir() -> Path:
    """Where tracebacks of unexpected errors go: ``$XDG_CACHE_HOME/sweep/logs`` (``~/.cache/sweep/logs``)."""
    from trainables.cache_home import cache_home

    return cache_home() / "logs"


def write_traceback_log(err: BaseException) -> Path | None:
    """Write the traceback of `err` to a new file in :func:`log_dir`; None when nothing can be written."""
    text = f"sweep {' '.join(sys.argv[1:])}\n\n" + "".join(traceback.format_exception(err))
    name = f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in (log_dir(), Path(os.environ.get("TMPDIR", "/tmp"))):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text)
            return path
        except OSError:
            continue
    return None


def unexpected_line(err: BaseException, log: Path | None) -> str:
    """``unexpected ValueError: <message> (traceback in <log>; SWEEP_DEBUG=1 prints it)``.

    Example:
        >>> unexpected_line(ValueError("boom"), Path("/tmp/e.log"))
        'unexpected ValueError: boom (traceback in /tmp/e.log; SWEEP_DEBUG=1 prints it)'
    """
    if isinstance(err, OSError) and err.strerror:
        what = f"{err.strerror}: {err.filename}" if err.filename else err.strerror
    else:
        what = str(err) or "(no message)"
    where = f"traceback in {log}" if log is not None else "traceback not saved"
    return f"unexpected {type(err).__name__}: {one_line(what, 300)} ({where}; {DEBUG_ENV}=1 prints it)"
