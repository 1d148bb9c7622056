"""sweep: hyperparameter sweeps for PyTorch on Ray Tune.

Example:
    >>> import sweep
    >>> result = sweep.run_sweep("digits-momentum")  # doctest: +SKIP
    >>> result.trials.head()  # doctest: +SKIP
"""

from __future__ import annotations

from search_spaces.errors import SpecError, SweepError
from sweep.run.launch import refine_sweep, resume_sweep, run_sweep
from sweep.run.options import RunOptions
from sweep.run.planner import Planner
from sweep.store.results import SweepResult, load

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
