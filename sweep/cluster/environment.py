"""Ray's environment for this process and its children, set before anything imports ray."""

from __future__ import annotations

import os
from pathlib import Path

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
CLUSTER_ENVIRONMENT = {
    key: LOCAL_ENVIRONMENT[key]
    for key in (
        "RAY_USAGE_STATS_ENABLED",
        "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS",
        "RAY_AIR_NEW_OUTPUT",
        "RAY_AUTH_MODE",
        "TUNE_GLOBAL_CHECKPOINT_S",
    )
}
TOKEN_FILE = Path.home() / ".ray" / "auth_token"


def prepare_environment(local: bool = True) -> None:
    """Sets Ray's environment defaults for this process and its children; a user's own values win."""
    for key, value in (LOCAL_ENVIRONMENT if local else CLUSTER_ENVIRONMENT).items():
        os.environ.setdefault(key, value)
