"""Where the training loop reports to: Ray Tune inside a trial, or a local in-process session.

The loop only talks to a :class:`Session`, so the same code trains under Ray Tune (:class:`TuneSession`)
and in a plain process (:class:`LocalSession`, used by ``sweep train``, by tests and, subclassed, by the
babysitting ``sweep nudge``).

Example:
    >>> s = LocalSession()
    >>> s.report({"epoch": 1, "dev_accuracy": 0.9}, None)
    >>> s.history
    [{'epoch': 1, 'dev_accuracy': 0.9}]
"""

from __future__ import annotations

import functools
import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from trainables.checkpoint import load_state, save_state

log = logging.getLogger(__name__)


class Session(Protocol):
    """What the training loop needs from its surroundings."""

    def restore(self) -> dict | None:
        """The last checkpoint's state dict, or None to start afresh."""
        ...

    def report(self, metrics: dict, state: dict | None) -> None:
        """Record one epoch's metrics; when `state` is given, save a checkpoint with it."""
        ...

    def poll_updates(self) -> dict[str, Any]:
        """Hyperparameter changes to apply at the next epoch boundary ({} normally)."""
        ...

    def reject_update(self, key: str, value: Any, reason: str) -> None:
        """Told when a polled change was invalid and ignored; training goes on."""
        ...


class LocalSession:
    """An in-process session: keeps the reported metrics, optionally checkpoints to a directory.

    Args:
        checkpoint_dir: Where ``state.pt`` is written on each checkpoint and restored from at the start
            (when present). None keeps no checkpoints.
        on_report: Called with each epoch's metrics (e.g. to print progress).

    Subclasses override :meth:`poll_updates` to feed hyperparameter changes between epochs.

    Example:
        >>> from trainables.loop import run_training
        >>> session = LocalSession()
        >>> outcome = run_training({"epochs": 2, "hidden_units": 8}, session)
        >>> [m["epoch"] for m in session.history]
        [1, 2]
    """

    def __init__(self, checkpoint_dir: Path | None = None, on_report: Callable[[dict], None] | None = None) -> None:
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.on_report = on_report
        self.history: list[dict] = []
        self.rejected: list[tuple[str, Any, str]] = []

    def restore(self) -> dict | None:
        return None if self.checkpoint_dir is None else load_state(self.checkpoint_dir)

    def report(self, metrics: dict, state: dict | None) -> None:
        self.history.append(dict(metrics))
        if state is not None and self.checkpoint_dir is not None:
            save_state(state, self.checkpoint_dir)
        if self.on_report is not None:
            self.on_report(dict(metrics))

    def poll_updates(self) -> dict[str, Any]:
        return {}

    def reject_update(self, key: str, value: Any, reason: str) -> None:
        self.rejected.append((key, value, reason))
        log.warning("ignored update %s=%r: %s", key, value, reason)


BATCH_KEY = "epochs_batch"  # a JSON list of the epochs a batched report carries (sweep.store.ledger decodes it)


@dataclass(frozen=True)
class ReportPolicy:
    """When a Tune trial reports: every epoch by default; batched when an orchestrator asks for it.

    Each report is a round trip between the trial and Tune's driver (tens of ms on a busy 2-core machine),
    which for epochs of a few ms costs more than the training. A batched report carries every epoch since the
    last one (`epochs_batch`), so the history stays complete while Ray sees fewer, larger reports.

    Attributes:
        report_at: epochs that always report (a scheduler's decision points: ASHA's rungs, PBT's intervals).
        report_seconds: otherwise report once this many seconds have passed since the last report
            (0 = every epoch).
    """

    report_at: frozenset[int] = frozenset()
    report_seconds: float = 0.0

    def due(self, epoch: int, last_epoch: int, seconds_since_report: float, final: bool) -> bool:
        return final or epoch >= last_epoch or epoch in self.report_at or seconds_since_report >= self.report_seconds


class TuneSession:
    """The session of a Ray Tune function trainable (Ray ≥ 2.50 API: ``ray.tune.report/get_checkpoint``).

    A checkpoint is a temporary directory holding ``state.pt``; Ray persists it to the trial's storage
    during :func:`ray.tune.report`, after which the directory is deleted. Checkpoints go with reports, so with
    a batching policy a trial checkpoints at most at the epochs it reports.
    """

    def __init__(self, policy: ReportPolicy | None = None, last_epoch: int = 0) -> None:
        self.policy = policy or ReportPolicy()
        self.last_epoch = last_epoch
        self._pending: list[dict] = []
        self._last_report = time.monotonic()

    def restore(self) -> dict | None:
        from ray import tune

        checkpoint = tune.get_checkpoint()
        if checkpoint is None:
            return None
        with checkpoint.as_directory() as directory:
            return load_state(Path(directory))

    def report(self, metrics: dict, state: dict | None) -> None:
        from ray import tune

        # Which node ran the epoch: on a cluster, the trials table shows where each trial ran and moved.
        metrics = {**metrics, "node_id": _node_id()}
        self._pending.append(metrics)
        since = time.monotonic() - self._last_report
        if not self.policy.due(int(metrics.get("epoch", 0)), self.last_epoch, since, bool(metrics.get("diverged"))):
            return
        if len(self._pending) > 1:
            metrics = {**metrics, BATCH_KEY: json.dumps(self._pending)}
        self._pending = []
        self._last_report = time.monotonic()
        if state is None:
            tune.report(metrics)
            return
        with tempfile.TemporaryDirectory(prefix="sweep-ckpt-") as directory:
            save_state(state, Path(directory))
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(directory))

    def poll_updates(self) -> dict[str, Any]:
        return {}  # Tune changes hyperparameters by restarting from a checkpoint (PBT), not in flight

    def reject_update(self, key: str, value: Any, reason: str) -> None:
        log.warning("ignored update %s=%r: %s", key, value, reason)


@functools.cache
def _node_id() -> str:
    import ray

    return str(ray.get_runtime_context().get_node_id())


def ray_resources() -> dict[str, float]:
    """The resources Ray assigned to the calling trial ({} outside Ray)."""
    try:
        import ray

        if not ray.is_initialized():
            return {}
        return dict(ray.get_runtime_context().get_assigned_resources())
    except Exception:  # outside a worker the runtime context has nothing to say
        return {}


def pick_threads_and_device(threads: int | None, resources: dict[str, float]) -> tuple[int | None, str]:
    """Threads for torch (config `threads`, else the trial's CPU allotment, else None = leave default)
    and the device (``cuda`` when a GPU is assigned and usable, else ``cpu``).

    Example:
        >>> pick_threads_and_device(None, {"CPU": 2.5})
        (2, 'cpu')
    """
    if threads is None and resources.get("CPU"):
        threads = max(1, int(resources["CPU"]))
    device = "cuda" if resources.get("GPU", 0) > 0 and torch.cuda.is_available() else "cpu"
    return threads, device
