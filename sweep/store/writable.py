"""Whether results can go where a command is told to put them: checked before anything runs, in one line."""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

from sweep_errors import SweepError


def check_writable_dir(path: str | Path, option: str, what: str) -> None:
    """Refuses a local directory `option` names that cannot hold `what` (a file, a read-only mount, no
    permission), creating it when missing, as the command would.

    Example:
        >>> check_writable_dir("/proc/version", "--runs", "the run")
        Traceback (most recent call last):
        sweep_errors.SweepError: --runs /proc/version: not a directory; give a directory to create the run in
    """
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise SweepError(f"{option} {path}: not a directory; give a directory to create {what} in")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        why = "a file on its path is not a directory" if err.errno == errno.ENOTDIR else err.strerror or str(err)
        raise SweepError(f"{option} {path}: cannot write there ({why}); give a writable directory") from None


def refuse_to_replace(path: str | Path, option: str, force: bool) -> None:
    """Refuses an output file that exists (a user's own spec, an earlier export) unless `force`.

    Example:
        >>> refuse_to_replace("/etc/hosts", "--next-spec", force=False)
        Traceback (most recent call last):
        sweep_errors.SweepError: --next-spec '/etc/hosts' exists: add --force to replace it, or give another file name
    """
    target = Path(path).expanduser()
    if (target.exists() or target.is_symlink()) and not force:
        raise SweepError(f"{option} '{path}' exists: add --force to replace it, or give another file name")
