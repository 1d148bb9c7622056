"""The watchdog end to end: a searcher that stops offering trials while nothing runs ends the sweep in one
line within the stated bound, the sweep left `interrupted`."""

from __future__ import annotations

import time

import pytest

import sweep
from search_spaces import load_spec
from sweep import RunOptions, run_sweep
from sweep.run.searcher import RecipeSearcher
from sweep.run.watchdog import SweepStalled

pytestmark = pytest.mark.ray

BOUND_S = 3.0


def test_a_searcher_that_never_offers_again_ends_the_sweep(tmp_path, ray_instance, monkeypatch):
    original = RecipeSearcher.suggest

    def stingy(self, trial_id):  # the "0 running, waiting" class: after one trial, it waits for ever
        return None if self.trials else original(self, trial_id)

    monkeypatch.setattr(RecipeSearcher, "suggest", stingy)
    spec = load_spec({
        "name": "stall", "trainable": "tests.toy_trainables:steady", "samples": 3, "rounds": 1, "seed": 1,
        "scheduler": "fifo", "space": {"x": {"uniform": [0.0, 1.0]}, "epochs": 2, "seconds": 0.2},
    })  # fmt: skip
    started = time.monotonic()
    with pytest.raises(SweepStalled, match=r"^the sweep stalled: no trial ran and none was offered for 3 s \(") as err:
        run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True, final_test=False, stall_seconds=BOUND_S))
    assert time.monotonic() - started < 120  # Ray's start, one trial, then the bound
    assert "round 1 not finished" in str(err.value) and "--fresh" in str(err.value)
    directory = next(tmp_path.glob("stall-*"))
    assert sweep.load(directory).state["status"] == "interrupted"
