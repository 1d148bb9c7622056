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
from sweep.store.signing import SIGNATURES_FILE, load_key, sign_files


class StateSigner(Callback):
    """Keeps `ray/<experiment>/sweep-signatures.json` up to date with every state file Ray stages."""

    def __init__(self, directory: SweepDir, experiment: str) -> None:
        self.directory = directory
        self.experiment = experiment
        self.staging: str | None = None

    @property
    def target(self) -> Path:
        return self.directory.ray_dir / self.experiment

    def __getstate__(self) -> dict[str, Any]:
        return {"directory": self.directory, "experiment": self.experiment, "staging": None}

    def setup(self, stop: Any = None, num_samples: Any = None, total_num_samples: Any = None, **info: Any) -> None:
        """Signs tuner.pkl, which Ray wrote (or restored) before the run started."""
        if self.directory.remote is None and (self.target / TUNER_FILE).exists():
            self._sign([self.target / TUNER_FILE])

    def on_step_begin(self, iteration: int, trials: list[Any], **info: Any) -> None:
        if self.staging is None and trials:  # every trial of the run shares the experiment's staging folder
            self.staging = trials[0].storage.experiment_driver_staging_path

    def get_state(self) -> dict | None:
        """Called by Ray's experiment save once everything else is staged: sign it, then report no state."""
        if self.staging is not None and self.directory.remote is None:
            staged = Path(self.staging)
            files = [found[-1] for found in (sorted(staged.glob(p)) for p in PATTERNS[:3]) if found]
            self._sign(files, staged)
        return None

    def _sign(self, files: list[Path], staged: Path | None = None) -> None:
        key = load_key()
        if key is None or not files:
            return
        with contextlib.suppress(OSError):  # a full disk: Ray's own copy fails too; the resume then refuses
            self.target.mkdir(parents=True, exist_ok=True)
            sign_files(self.target, files, key)
            if staged is not None:
                tmp = staged / f".{SIGNATURES_FILE}.tmp"
                shutil.copyfile(self.target / SIGNATURES_FILE, tmp)
                os.replace(tmp, staged / SIGNATURES_FILE)
