"""Signs the Ray state a sweep's Tuner writes, as Ray writes it (see :mod:`sweep.store.signing`).

Ray saves its experiment state into a local staging folder (the experiment state, then the search algorithm's
files, then the callbacks' states) and copies that folder to the sweep directory in the background. This
callback runs inside that save (Ray asks callbacks for their state last) and signs what was just staged,
writing the signatures straight into the sweep's ``ray/<experiment>/`` before Ray's copy lands there, and into
the staging folder too (Ray's copy of it would otherwise replace them with the list a resume started from). It
has no state of its own, so Ray writes no callback-state file for it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from ray.tune import Callback

from sweep.store.layout import SweepDir
from sweep.store.ray_state import PATTERNS, TUNER_FILE
from sweep.store.signing import SIGNATURES_FILE, load_key, sign_files, signature


class StateSigner(Callback):
    """Keeps `ray/<experiment>/sweep-signatures.json` up to date with every state file Ray stages."""

    def __init__(self, directory: SweepDir, experiment: str) -> None:
        self.directory = directory
        self.experiment = experiment
        self.staging: str | None = None
        self.pending: dict[str, str] = {}  # signatures made before the staging folder was known

    @property
    def target(self) -> Path:
        return self.directory.ray_dir / self.experiment

    def __getstate__(self) -> dict[str, Any]:
        return {"directory": self.directory, "experiment": self.experiment, "staging": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["directory"], state["experiment"])  # type: ignore[misc]

    def setup(self, stop: Any = None, num_samples: Any = None, total_num_samples: Any = None, **info: Any) -> None:
        """Signs tuner.pkl, which Ray wrote (or restored) before the run started."""
        if self.directory.remote is None:
            if (self.target / TUNER_FILE).exists():
                self._sign([self.target / TUNER_FILE])
            return
        key = load_key()  # a sweep at a URI: its signatures travel with the staged state (see get_state)
        with contextlib.suppress(Exception):
            import pyarrow.fs

            filesystem, base = pyarrow.fs.FileSystem.from_uri(f"{self.directory.ray_storage}/{self.experiment}")
            with filesystem.open_input_stream(f"{base}/{TUNER_FILE}") as stream:
                data = stream.readall()
            if key is not None:
                self.pending[TUNER_FILE] = signature(key, TUNER_FILE, data)

    def on_step_begin(self, iteration: int, trials: list[Any], **info: Any) -> None:
        self._learn_staging(trials)

    def on_step_end(self, iteration: int, trials: list[Any], **info: Any) -> None:
        self._learn_staging(trials)

    def _learn_staging(self, trials: list[Any]) -> None:
        """Learns Ray's staging folder from a trial (every trial of the run shares the experiment's).

        A launch's first save comes in Ray's first step, after its first trials are added but before a callback
        sees one, so it is signed here, at the end of that same step, rather than at the next save (a checkpoint
        period later): a driver killed in between would leave state that a resume refuses.
        """
        if self.staging is None and trials:
            self.staging = trials[0].storage.experiment_driver_staging_path
            self.get_state()

    def get_state(self) -> dict | None:
        """Called by Ray's experiment save once everything else is staged: sign it, then report no state."""
        if self.staging is None:
            return None
        staged = Path(self.staging)
        files = [found[-1] for found in (sorted(staged.glob(p)) for p in PATTERNS[:3]) if found]
        if self.directory.remote is None:
            self._sign(files, staged)
            return None
        key = load_key()  # at a URI: the signatures go up with the staged files, by Ray's own copy
        if key is not None:
            with contextlib.suppress(OSError):
                sign_files(staged, files, key, self.pending, scratch=staged.parent)
        return None

    def _sign(self, files: list[Path], staged: Path | None = None) -> None:
        key = load_key()
        if key is None or not files:
            return
        with contextlib.suppress(OSError):  # a full disk: Ray's own copy fails too; the resume then refuses
            self.target.mkdir(parents=True, exist_ok=True)
            sign_files(self.target, files, key)
            if staged is not None:  # Ray's syncer may be copying the staging folder: no temporary file in it
                tmp = staged.parent / f".{staged.name}.{SIGNATURES_FILE}.tmp"
                shutil.copyfile(self.target / SIGNATURES_FILE, tmp)
                os.replace(tmp, staged / SIGNATURES_FILE)
