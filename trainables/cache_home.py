"""Where sweep keeps files between runs on this machine: ``$XDG_CACHE_HOME/sweep``, or ``~/.cache/sweep`` when
the variable is unset (the XDG base-directory rule).

The one owner of that folder's place. What lives in it: MNIST-1D's generated arrays (trainables.mnist1d_data),
the local mirrors of sweeps stored at a URI (sweep.store.layout), the `sweep up` record and its Ray's temp
directory (sweep.cluster.warm), and the tracebacks of unexpected errors (sweep.cli.main). It lives in
``trainables`` because that package imports nothing of ``sweep``'s, and both use it.

Example:
    >>> import os
    >>> os.environ["XDG_CACHE_HOME"] = "/var/cache/me"
    >>> cache_home()
    PosixPath('/var/cache/me/sweep')
    >>> del os.environ["XDG_CACHE_HOME"]
    >>> cache_home() == Path.home() / ".cache" / "sweep"
    True
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_home() -> Path:
    """``$XDG_CACHE_HOME/sweep``, or ``~/.cache/sweep`` when the variable is unset or empty."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "sweep"
