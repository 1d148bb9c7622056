"""Sweeps stored at a URI: checkpoints go to the URI through Ray, tables are mirrored there after each round."""

from __future__ import annotations

import pandas as pd
import pytest

import sweep
from search_spaces import load_spec
from sweep import RunOptions, run_sweep
from sweep.store import schema as S
from sweep.store.remote import is_uri
from sweep.winners.retest import retest
from sweep.winners.summary import quiet_line
from tests.conftest import tiny_spec


@pytest.mark.ray
@pytest.mark.usefixtures("ray_instance")
def test_uri_storage_holds_the_whole_sweep(tmp_path):
    store, cache = tmp_path / "bucket", tmp_path / "cache"
    options = RunOptions(storage=f"file://{store}", cache_dir=str(cache), quiet=True)
    result = run_sweep(load_spec(tiny_spec(samples=3)), options)

    [remote] = list(store.iterdir())
    assert (remote / "sweep.json").is_file() and (remote / "rounds" / "round-1.yaml").is_file()
    assert len(pd.read_csv(remote / "trials.csv")) == 3
    assert list((remote / "ray" / "sweep").glob("*/checkpoint_*")), "Ray wrote checkpoints to the URI"
    assert result.path == cache.resolve() / remote.name  # the driver's local mirror
    # What the user is told to use names the URI, not the mirror (`--quiet`'s line named the mirror).
    assert result.location == f"file://{remote}" and quiet_line(result).startswith(f"file://{remote}: winner ")
    # The checkpoints are at the URI, so the winner is retrained: deterministically, the same curve.
    test, best = result.state["summary"]["test"], result.best()
    assert test["source"] == "retrained" and test["plan_id"] == best[S.PLAN_ID]
    assert test["dev_accuracy"] == pytest.approx(best[S.LAST], abs=1e-9)

    # Loading by URI works from a machine with an empty cache.
    loaded = sweep.load(f"file://{remote}")
    assert sorted(loaded.trials[S.PLAN_ID]) == sorted(result.trials[S.PLAN_ID])
    assert loaded.location == f"file://{remote}"
    assert is_uri(f"file://{remote}") and not is_uri(remote)

    # `sweep retest` of a URI sweep leaves its rows at the URI, not only in this machine's mirror.
    retested = retest(f"file://{remote}", top=1, seeds=1)
    assert len(pd.read_csv(remote / "retest.csv")) == len(retested.rows) == 1
    assert (remote / "retest_summary.csv").is_file()


def test_missing_uri_is_a_one_line_error(tmp_path):
    with pytest.raises(sweep.SweepError, match=r"no sweep at 'file://.*nothing' \(no sweep.json there\)"):
        sweep.load(f"file://{tmp_path}/nothing")
