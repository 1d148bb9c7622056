"""Ray's `SearchGenerator` with one repair: trials it creates after a restore go where the sweep now is.

Ray wraps a `Searcher` in a `SearchGenerator`, which makes each new trial from the `Experiment` it was given at
launch. On a restore Ray re-roots the trials it restores, but the generator's own `Experiment` comes back from
its saved state with the storage of the launch: in a copied or moved sweep, every trial created after the
resume (those the interrupted driver had not created yet) wrote its files into the original directory. This
generator re-roots that storage the way Ray re-roots restored trials.
"""

from __future__ import annotations

import copy
from typing import Any

from ray.tune.search import ConcurrencyLimiter, Searcher, SearchGenerator


class RelocatingSearchGenerator(SearchGenerator):
    """A `SearchGenerator` whose restored experiment writes to `storage_path`/`name` (as the Tuner does now).

    `max_concurrent`: Ray's `max_concurrent_trials`, applied here because Ray applies it only to a bare
    `Searcher` (it wraps it in the same `ConcurrencyLimiter`, so saved states stay interchangeable).
    """

    def __init__(
        self,
        searcher: Searcher,
        storage_path: str,
        name: str,
        storage_filesystem: Any = None,
        max_concurrent: int | None = None,
    ) -> None:
        if max_concurrent:
            searcher = ConcurrencyLimiter(searcher, max_concurrent=max_concurrent)
        super().__init__(searcher)
        self.storage_path, self.name, self.storage_filesystem = storage_path, name, storage_filesystem

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        experiment = self._experiment
        if experiment is None or experiment.spec.get("storage") is None:
            return
        from ray.train._internal.storage import get_fs_and_path

        storage = copy.copy(experiment.spec["storage"])  # as Ray's TuneController._restore_trials re-roots a trial
        storage.storage_filesystem, storage.storage_fs_path = get_fs_and_path(
            self.storage_path, self.storage_filesystem
        )
        storage.experiment_dir_name = self.name
        experiment.spec["storage"] = experiment.storage = storage
