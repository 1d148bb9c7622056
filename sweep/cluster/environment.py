"""Ray's environment for this process and its children, whatever the order in which `ray` and `sweep` are imported.

Ray reads two settings once, when it is imported: whether this is a single-node cluster (which decides the node's
address: loopback or the LAN's) and the authentication mode (cached in its C++ config). A notebook imports
`ray.tune` for `tune.report` before it calls `run_sweep`, so :func:`prepare_environment` also brings an already
imported Ray up to date, as long as this process has not started or joined one yet.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

# Why each one: Ray picks the machine's LAN address for its node IP unless told this is a single-node
# cluster; usage statistics would go to an outside server; Tune's per-trial JSON/CSV/TensorBoard loggers
# cost time per report and we keep our own tables; token auth stays on even when a user's shell sets nothing.
LOCAL_ENVIRONMENT = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",
    "RAY_AUTH_MODE": "token",
    "RAY_AIR_NEW_OUTPUT": "0",  # Tune's new console output prints its boxes even at verbose=0
    # Tune snapshots the experiment at most every 10 s by default; a driver killed hard resumes from that
    # snapshot, so trials that ended after it redo their epochs since their last checkpoint. Snapshots are
    # small; every 3 s keeps that window short.
    "TUNE_GLOBAL_CHECKPOINT_S": "3",
}
SINGLE_NODE_KEY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
CLUSTER_ENVIRONMENT = {key: value for key, value in LOCAL_ENVIRONMENT.items() if key != SINGLE_NODE_KEY}
TOKEN_FILE = Path.home() / ".ray" / "auth_token"
NODE_KEYS = (SINGLE_NODE_KEY, "RAY_AUTH_MODE")  # what a Ray node reads when it starts; the rest, the driver reads
_set_here: set[str] = set()  # the keys this process set (a user's own values are never changed or removed)


def prepare_environment(local: bool = True) -> None:
    """Sets Ray's environment defaults for this process and its children; a user's own values win.

    `local` is the embedded single-node Ray (loopback only); for a cluster, the local-only keys this process set
    earlier (``import sweep`` sets them) are taken back. A Ray imported before this call is brought up to date.

    Example:
        >>> prepare_environment(local=True)
        >>> os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"]
        '0'
    """
    connected = ray_is_connected()  # a worker, or a driver that joined a Ray: its node's settings are fixed
    wanted = LOCAL_ENVIRONMENT if local else CLUSTER_ENVIRONMENT
    if connected:
        wanted = {key: value for key, value in wanted.items() if key not in NODE_KEYS}
    else:
        for key in set(LOCAL_ENVIRONMENT) - set(wanted):
            if key in _set_here:
                os.environ.pop(key, None)
                _set_here.discard(key)
    for key, value in wanted.items():
        if key not in os.environ:
            os.environ[key] = value
            _set_here.add(key)
    if not connected:
        _update_imported_ray()


def ray_is_connected() -> bool:
    """Whether this process already started or joined a Ray (never imports ray)."""
    ray = sys.modules.get("ray")
    is_initialized = getattr(ray, "is_initialized", None)
    return bool(is_initialized is not None and is_initialized())


def _update_imported_ray() -> None:
    """Re-read the settings Ray read at its import, when it was imported before the environment was set."""
    constants: Any = sys.modules.get("ray._private.ray_constants")
    if constants is not None:
        # Ray's own reading of the variable (ray_constants.py), redone: ray.init() reads it to pick the node's address
        constants.ENABLE_RAY_CLUSTER = constants.env_bool(SINGLE_NODE_KEY, not constants.IS_WINDOWS_OR_OSX)
    raylet = sys.modules.get("ray._raylet")
    if raylet is not None:
        raylet.Config.initialize("")  # the cached authentication mode (Ray's own way: authentication_token_setup)
