"""The recipe without Ray: an ask/tell `Planner` over the very searcher a sweep's Tuner runs.

`Planner.ask()` is Ray's `Searcher.suggest`, `Planner.tell()` its `on_trial_result` / `on_trial_complete`, with
a made-up trial id per ask. So a loop of your own (a notebook, a machine without Ray, a benchmark that looks
results up in a table) gets exactly the rounds `sweep launch` would plan from the same results: one code path.
The round files (`rounds/round-N.yaml`, `.plan.csv`) go to a temporary directory unless one is given; that one
is the planner's own, removed by `close()`, at the end of a `with` block, or when the planner is garbage-collected.
"""

from __future__ import annotations

import numbers
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from search_spaces import SweepSpec, load_spec
from search_spaces.checks import show
from sweep.run.rounds import round_slots
from sweep.run.sweep_plan import SweepPlan
from sweep.store import schema as S
from sweep.store.layout import SweepDir
from sweep.store.state import SweepState
from sweep_errors import SweepError

_FINISHED = "FINISHED"  # ray.tune.search.Searcher.FINISHED, without importing Ray for it


class Planner:
    """Ask for configs, tell their results: the coarse-to-fine recipe (or the spec's sampler) as a loop.

    Args:
        spec: a spec dict, a path to a spec file, a bundled preset's name, or a :class:`SweepSpec`.
        workers: how many trials you run at once (``ask`` while ``workers − 1`` are still pending); the
            planner never waits for results: a round that would wait for them on a cluster is planned from
            what has been told so far.
        directory: where the round files go, kept; when None, a new temporary directory that goes with the
            planner (:meth:`close`, a ``with`` block, or garbage collection).
        staged: tune one tier at a time (``sweep launch --staged``).
        durable: fsync each proposal's line of the round files (default: only in a directory you gave; a
            loop that throws its directory away, a benchmark's, saves a disk sync per ask with False).

    Example:
        >>> import math
        >>> planner = Planner({"space": {"lr": {"loguniform": [1e-4, 1]}}, "samples": 4, "rounds": 2})
        >>> while (config := planner.ask()) is not None:
        ...     planner.tell(config, 1.0 - abs(math.log10(config["lr"]) + 2))
        >>> planner.told
        8
    """

    def __init__(
        self,
        spec: SweepSpec | Mapping[str, Any] | str | Path,
        workers: int = 1,
        directory: str | Path | None = None,
        staged: bool = False,
        durable: bool | None = None,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise SweepError(f"Planner: workers must be an integer ≥ 1, got {show(workers)}")
        self.spec = spec if isinstance(spec, SweepSpec) else load_spec(spec)
        self.spec.space.require_parameters()
        self.workers = workers
        root = Path(tempfile.mkdtemp(prefix="sweep-planner-")) if directory is None else Path(directory)
        # a directory the planner made is its own: a loop of many planners must not fill /tmp
        self._remove = weakref.finalize(self, shutil.rmtree, root, ignore_errors=True) if directory is None else None
        self.directory = _planner_dir(root, self.spec, staged)
        slots = round_slots(self.spec, self.spec.space, staged)
        self.directory.state.create(
            SweepState(name=self.spec.name, metric=self.spec.metric, mode=self.spec.mode,
                       rounds=[slot.to_dict() for slot in slots])
        )  # fmt: skip
        plan = SweepPlan(
            self.directory,
            self.spec.to_dict(),
            self.spec.space.to_dict(),
            tuple(slots),
            durable=directory is not None if durable is None else durable,
        )  # a temporary directory's plan files need no fsync
        from sweep.run.tuner import make_searcher  # the Tuner's own choice of searcher for the spec

        self.searcher = make_searcher(plan, None, eager=True)
        self.pending: dict[str, str] = {}  # plan id → the trial id its ask was given
        self.asked = 0
        self.told = 0
        self.done = False
        self.closed = False

    def close(self) -> None:
        """Ends the planner: removes the temporary directory it made (a `directory` you gave stays)."""
        self.closed = True
        if self._remove is not None:
            self._remove()

    def __enter__(self) -> Planner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self, call: str) -> None:
        if self.closed:
            raise SweepError(f"Planner.{call}: the planner is closed (close() was called): make a new one")

    @property
    def metric(self) -> str:
        return self.spec.metric

    @property
    def mode(self) -> str:
        return self.spec.mode

    def ask(self) -> dict[str, Any] | None:
        """The next config to train (its parameters' real values and its ``plan_id``), or None once the plan
        has nothing more to hand out (configs still pending can be told after that)."""
        self._check_open("ask")
        if self.done:
            return None
        trial_id = f"ask-{self.asked:05d}"
        config = self.searcher.suggest(trial_id)
        if config == _FINISHED or config is None:
            # None: the searcher would wait for trials still out (Optuna's TPE at its concurrency limit)
            self.done = config == _FINISHED or not self.pending
            if config is None and not self.done:
                raise SweepError(
                    f"Planner.ask: the next round waits for the {len(self.pending)} trial(s) still pending "
                    f"({', '.join(sorted(self.pending))}): tell their results first"
                )
            return None
        self.asked += 1
        self.pending[str(config[S.PLAN_ID])] = trial_id
        return dict(config)

    def tell(self, config: Mapping[str, Any] | str, value: float | None, epoch: int | None = None,
             failed: bool = False) -> None:  # fmt: skip
        """Reports a trial's result: its final metric (``epoch=None``: the trial is over), or a reading at
        `epoch` while it trains. ``failed=True`` (or a value of None) ends it as errored: a crash says nothing
        about the config. A NaN or infinite value is a trial that diverged: the worst result, which the model
        learns to keep away from."""
        self._check_open("tell")
        if config is None:
            raise SweepError("Planner.tell: the config is None: ask() returns None once the plan is done, and a "
                             "None has no result to tell")  # fmt: skip
        plan = str(config.get(S.PLAN_ID) if isinstance(config, Mapping) else config)
        trial_id = self.pending.get(plan)
        if trial_id is None:
            raise SweepError(
                f"Planner.tell: {show(plan)} is not a config this planner handed out and still awaits "
                "(give the dict ask() returned, or its plan_id, once)"
            )
        bad = value is None  # a crash; a NaN or infinite value is a trial that diverged (the model's worst)
        value = _scalar(value)
        if not bad and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
            raise SweepError(f"Planner.tell: the value for {plan} must be a number, got {show(value)}")
        result: dict[str, Any] = {} if bad else {self.metric: float(value)}  # type: ignore[arg-type]
        if epoch is not None:
            if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
                raise SweepError(
                    f"Planner.tell: the epoch of {plan}'s reading must be an integer ≥ 1 (its first epoch is 1), "
                    f"got {show(epoch)}"
                )
            if not bad:
                self.searcher.on_trial_result(trial_id, {**result, "epoch": epoch})
            return
        del self.pending[plan]
        self.told += 1
        self.searcher.on_trial_complete(trial_id, result or None, error=failed or bad)


def _scalar(value: Any) -> Any:
    """A one-number array or tensor (numpy's 0-d array, torch's scalar tensor: what a metric computed with them
    is) as its number; anything else as it is. NumPy's scalars (np.float32, np.int64) are numbers already.

    Example:
        >>> import numpy as np
        >>> _scalar(np.array(0.5)), _scalar(np.array([0.25])), _scalar(np.zeros(2)).shape, _scalar("0.5")
        (0.5, 0.25, (2,), '0.5')
    """
    numel = getattr(value, "numel", None)  # torch's count (its `size` is the shape); numpy's is `size`
    count = numel() if callable(numel) else getattr(value, "size", None)
    if count == 1 and callable(getattr(value, "item", None)) and not isinstance(value, str):
        try:
            return value.item()
        except (TypeError, ValueError, RuntimeError):
            return value
    return value


def _planner_dir(root: Path, spec: SweepSpec, staged: bool) -> SweepDir:
    try:
        (root / "rounds").mkdir(parents=True, exist_ok=True)
    except OSError as err:  # a file's path, a read-only place
        raise SweepError(
            f"Planner: cannot keep the round files in {root} ({err.strerror or err}): give a writable directory, "
            "or none for a temporary one"
        ) from None
    directory = SweepDir(root.resolve())
    if directory.state.path.exists():
        raise SweepError(f"Planner: {root} already holds a plan (sweep.json): give an empty directory or none")
    directory.write_spec(spec)
    return directory
