"""Runs in each Ray worker as it starts (Ray's `worker_process_setup_hook`), before its first trial.

On this machine a worker enters the user's project directory (their trainable module imports, a relative
`data:` path means what it means beside the spec) instead of a copy of it shipped through Ray: a local sweep
uploads nothing. Every worker also imports torch and the training loop here, so the workers Ray prestarts
pay those seconds while the driver plans, not when their first trial starts.
"""

from __future__ import annotations

import os
import sys

PROJECT_ENV = "SWEEP_PROJECT_DIR"


def prepare() -> None:
    """Enter the project directory (when the driver shares this machine) and import the training stack."""
    project = os.environ.get(PROJECT_ENV)
    if project and os.path.isdir(project):
        os.chdir(project)
        if project not in sys.path:
            sys.path.insert(0, project)
    try:
        import torch  # noqa: F401

        from trainables.registry import BUILTINS

        for _name, _record in BUILTINS.items():  # every built-in's module and the loop (the registry is lazy)
            pass
    except ImportError:  # a user's trainable may not need them; its own imports report what is missing
        pass
