"""What a sweep needs from the Ray it runs on: the user's code shipped to the workers, and resources that fit.

Ray's runtime environment ships the user's project directory (their trainable module, their data files) to
every worker, so workers need nothing installed beyond this package. Built-in trainables on built-in data
ship nothing. Inside `ray job submit --working-dir .` the job already carries the directory.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from search_spaces import SweepSpec
from sweep.cluster.worker_setup import PROJECT_ENV
from sweep_errors import SweepError

# Ray refuses a working_dir over 500 MiB; these never belong in it.
EXCLUDES = [
    ".venv",
    "venv",
    ".git",
    "sweeps",
    "runs",
    "__pycache__",
    "*.egg-info",
    ".mypy_cache",
    ".ruff_cache",
]
IN_RAY_JOB = "RAY_JOB_CONFIG_JSON_ENV_VAR"  # set by Ray Jobs for a submitted driver


def project_dir(spec: SweepSpec) -> Path:
    """The user's project: the spec file's directory, or the current directory for presets and dicts."""
    source = Path(spec.source)
    return source.parent.resolve() if source.suffix in (".yaml", ".yml") and source.is_file() else Path.cwd()


def project_data(data: Any, project: Path) -> Any:
    """A data file given by a relative path means one in the user's project (the spec's directory), whatever the
    working directory: every command reads the same spec the same way. Names and absolute paths are unchanged.

    Example:
        >>> project_data("data/diabetes.csv", Path("/home/me/proj"))
        '/home/me/proj/data/diabetes.csv'
        >>> project_data("digits", Path("/home/me/proj"))
        'digits'
    """
    if not isinstance(data, str):
        return data
    path = Path(data).expanduser()
    if path.suffix in (".csv", ".parquet", ".npz") and not path.is_absolute():
        return str(project / path)
    return data


def needs_shipping(spec: SweepSpec, builtin_trainables: list[str]) -> bool:
    """Whether workers need the project directory: a user trainable, or a data file given by relative path."""
    data = spec.data or ""
    relative_file = bool(data) and Path(data).suffix in (".csv", ".parquet", ".npz") and not Path(data).is_absolute()
    return spec.trainable not in builtin_trainables or relative_file


def runtime_env(project: Path, ship: bool, storage: str, local: bool = False) -> dict[str, Any] | None:
    """Ray's runtime environment for the sweep's job.

    Trials keep the project directory as their working directory (not Tune's per-trial directory), so a
    relative `data:` path means the same on the driver and on every worker. On this machine (`local`: the
    embedded Ray or `sweep up`'s) workers enter the directory itself through Ray's `worker_process_setup_hook`,
    which also imports the training stack as each worker starts (:mod:`sweep.cluster.worker_setup`), and nothing is
    uploaded; on a cluster the directory travels as Ray's `working_dir` when the sweep needs it (`ship`), and
    workers start as Ray starts them (the hook's early imports are measured on one machine only).
    """
    if os.environ.get(IN_RAY_JOB):
        return None  # the job already carries its directory and environment
    if local:
        hook = {"worker_process_setup_hook": "sweep.cluster.worker_setup.prepare"}
        return {**hook, "env_vars": {PROJECT_ENV: str(project), "RAY_CHDIR_TO_TRIAL_DIR": "0"}}
    if not ship:
        return None
    excludes = list(EXCLUDES)
    with contextlib.suppress(ValueError):  # storage outside the project: nothing to exclude
        excludes.append(str(Path(storage).resolve().relative_to(project)))
    return {"working_dir": str(project), "excludes": excludes, "env_vars": {"RAY_CHDIR_TO_TRIAL_DIR": "0"}}


def cluster_resources() -> list[dict[str, float]]:
    """Resources of each alive node of the connected Ray."""
    import ray

    return [dict(node["Resources"]) for node in ray.nodes() if node.get("Alive")]


def check_fits(spec: SweepSpec, nodes: list[dict[str, float]]) -> None:
    """Fails before any trial starts when no node can ever hold one trial (instead of hanging in PENDING)."""
    want = {"CPU": float(spec.resources.cpu), "GPU": float(spec.resources.gpu)}
    if any(all(node.get(key, 0.0) >= amount for key, amount in want.items()) for node in nodes):
        return
    have = ", ".join(f"{node.get('CPU', 0):g} CPU/{node.get('GPU', 0):g} GPU" for node in nodes) or "no nodes"
    key = "cpu" if not any(node.get("CPU", 0.0) >= want["CPU"] for node in nodes) else "gpu"
    raise SweepError(
        f"resources.{key}: each trial asks for {want['CPU']:g} CPU and {want['GPU']:g} GPU but no node has that "
        f"(nodes: {have}); lower resources.{key} in the spec or add a larger node"
    )
