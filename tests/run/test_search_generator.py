"""Trials created after a restore go where the sweep now is: Ray's own generator sends them to the directory of
the launch (a copied sweep then wrote into its original); the sweep's generator re-roots them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from ray.tune import Experiment
from ray.tune.search import ConcurrencyLimiter, Searcher, SearchGenerator

from sweep.run.search_generator import RelocatingSearchGenerator


class Counting(Searcher):
    """Suggests x = 0, 1, 2, ... and saves how far it got."""

    def __init__(self) -> None:
        super().__init__(metric="acc", mode="max")
        self.count = 0

    def suggest(self, trial_id: str) -> dict[str, Any]:
        self.count += 1
        return {"x": self.count}

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        pass

    def get_state(self) -> dict[str, Any]:
        return {"count": self.count}

    def set_state(self, state: dict[str, Any]) -> None:
        self.count = state["count"]

    def save(self, checkpoint_path: str) -> None:
        import json

        Path(checkpoint_path).write_text(json.dumps(self.get_state()))

    def restore(self, checkpoint_path: str) -> None:
        import json

        self.set_state(json.loads(Path(checkpoint_path).read_text()))


def train(config: dict) -> None:
    pass


def _launched(root: Path) -> Path:
    """A generator that made one trial under `root`/exp and saved its state there, as a driver does; the path."""
    generator = RelocatingSearchGenerator(Counting(), str(root), "exp", max_concurrent=2)
    generator.add_configurations([Experiment("exp", train, storage_path=str(root), num_samples=3)])
    first = generator.next_trial()
    assert first is not None and Path(first.storage.experiment_fs_path).is_relative_to(root / "exp")
    (root / "exp").mkdir(parents=True, exist_ok=True)
    generator.save_to_dir(str(root / "exp"), session_str="s1")
    return root / "exp"


@pytest.mark.parametrize("generator", [RelocatingSearchGenerator, SearchGenerator])
def test_a_trial_made_after_a_restore_goes_to_the_copy_not_the_original(tmp_path, generator):
    original = _launched(tmp_path / "original")
    copy = tmp_path / "copy"
    shutil.copytree(original.parent, copy)
    if generator is SearchGenerator:  # Ray's own: the state of the launch, with its directory
        restored = SearchGenerator(ConcurrencyLimiter(Counting(), max_concurrent=2))
    else:
        restored = RelocatingSearchGenerator(Counting(), str(copy), "exp", max_concurrent=2)
    restored.restore_from_dir(str(copy / "exp"))
    trial = restored.next_trial()
    assert trial is not None and trial.config == {"x": 2}  # the searcher went on where it was
    where = Path(trial.storage.experiment_fs_path)
    if generator is SearchGenerator:
        assert where.is_relative_to(original), "Ray now re-roots new trials itself: the sweep's generator can go"
    else:
        assert where.is_relative_to(copy / "exp") and not where.is_relative_to(original), where
        assert trial.storage.experiment_dir_name == "exp" and restored.searcher.max_concurrent == 2


def test_the_concurrency_limit_is_applied_only_when_asked():
    assert isinstance(RelocatingSearchGenerator(Counting(), "/s", "exp", max_concurrent=3).searcher, ConcurrencyLimiter)
    assert isinstance(RelocatingSearchGenerator(Counting(), "/s", "exp").searcher, Counting)
