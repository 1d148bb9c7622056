"""Whether a directory that results go under can take them: checked before anything runs, in one line."""

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
