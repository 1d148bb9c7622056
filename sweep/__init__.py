"""sweep: hyperparameter sweeps for PyTorch on Ray Tune.

Example:
    >>> import sweep
    >>> result = sweep.run_sweep("digits-momentum")  # doctest: +SKIP
    >>> result.trials.head()  # doctest: +SKIP
"""

from __future__ import annotations

from sweep.cluster.environment import prepare_environment

# Before anything of ours imports ray, and up to date if the caller imported it first (`from ray import tune`):
# the embedded local Ray binds loopback with token auth; connecting to a cluster takes the local-only keys back.
prepare_environment(local=True)

from search_spaces.errors import SpecError, SweepError  # noqa: E402
from sweep.run.launch import refine_sweep, resume_sweep, run_sweep  # noqa: E402
from sweep.run.options import RunOptions  # noqa: E402
from sweep.store.results import SweepResult, load  # noqa: E402

__all__ = [
    "RunOptions",
    "SpecError",
    "SweepError",
    "SweepResult",
    "load",
    "refine_sweep",
    "resume_sweep",
    "run_sweep",
]
