"""sweep: hyperparameter sweeps for PyTorch on Ray Tune.

Example:
    >>> import sweep
    >>> result = sweep.run_sweep("digits-momentum")  # doctest: +SKIP
    >>> result.trials.head()  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sweep.cluster.environment import prepare_environment

# Before anything of ours imports ray, and up to date if the caller imported it first (`from ray import tune`):
# the embedded local Ray binds loopback with token auth; connecting to a cluster takes the local-only keys back.
prepare_environment(local=True)

# Public name → its module, imported when first used (PEP 562): `sweep validate` and `sweep show` need neither
# pandas' whole stack nor the run loop, and `import sweep` stays cheap in a notebook.
_HOME = {
    "SpecError": "search_spaces.errors",
    "SweepError": "search_spaces.errors",
    "refine_sweep": "sweep.run.launch",
    "resume_sweep": "sweep.run.launch",
    "run_sweep": "sweep.run.launch",
    "RunOptions": "sweep.run.sweep_run",
    "SweepResult": "sweep.store.results",
    "load": "sweep.store.results",
    "Planner": "sweep.run.planner",
}

if TYPE_CHECKING:
    from search_spaces.errors import SpecError
    from sweep.run.launch import refine_sweep, resume_sweep, run_sweep
    from sweep.run.planner import Planner
    from sweep.run.sweep_run import RunOptions
    from sweep.store.results import SweepResult, load
    from sweep_errors import SweepError


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'sweep' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "Planner",
    "RunOptions",
    "SpecError",
    "SweepError",
    "SweepResult",
    "load",
    "refine_sweep",
    "resume_sweep",
    "run_sweep",
]
