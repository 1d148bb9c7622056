"""Sweeps stored at a URI: checkpoints go to the URI through Ray, tables are mirrored there after each round."""

from __future__ import annotations

import pandas as pd
import pytest

import sweep
from search_spaces import load_spec
from sweep import RunOptions, run_sweep
from sweep.store import layout
from sweep.store import schema as S
from sweep.store.layout import SweepDir
from sweep.store.remote import is_uri
from sweep.winners.retest import retest
from sweep.winners.summary import quiet_line
from tests.conftest import tiny_spec


@pytest.mark.ray
@pytest.mark.usefixtures("ray_instance")
def test_uri_storage_holds_the_whole_sweep(tmp_path, monkeypatch):
    store, cache = tmp_path / "bucket", tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))  # `load` and `retest` mirror it there
    options = RunOptions(storage=f"file://{store}", cache_dir=str(cache), quiet=True)
    result = run_sweep(load_spec(tiny_spec(samples=3)), options)

    [remote] = list(store.iterdir())
    assert (remote / "sweep.json").is_file() and (remote / "rounds" / "round-1.yaml").is_file()
    assert len(pd.read_csv(remote / "trials.csv")) == 3
    assert list((remote / "ray" / "sweep").glob("*/checkpoint_*")), "Ray wrote checkpoints to the URI"
    assert result.path.parent == cache.resolve() and result.path.name.startswith(f"{remote.name}-")  # its mirror
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


def _stored_sweep(folder, **files):
    """A sweep's small files at a `file://` URI, as a driver leaves them."""
    (folder / "rounds").mkdir(parents=True)
    (folder / "sweep.json").write_text('{"status": "completed"}')
    for name, text in files.items():
        (folder / name.replace("_csv", ".csv")).write_text(text)
    return f"file://{folder}"


def test_a_copy_of_a_sweep_at_another_uri_gets_a_mirror_of_its_own(tmp_path):
    # the same folder name at two URIs: a sweep copied to another bucket, then retested at only one of them
    cache = tmp_path / "cache"
    first = _stored_sweep(tmp_path / "team" / "mnist-20261201-101010", trials_csv="a\n1\n", retest_csv="r\n1\n")
    copy = _stored_sweep(tmp_path / "archive" / "mnist-20261201-101010", trials_csv="a\n2\n")
    first_dir, copy_dir = SweepDir.open(first, cache), SweepDir.open(copy, cache)
    assert first_dir.root != copy_dir.root
    assert copy_dir.trials_csv.read_text() == "a\n2\n"
    assert not copy_dir.retest_csv.exists()  # the other sweep's retest rows are not shown as this one's
    assert first_dir.retest_csv.read_text() == "r\n1\n"


def test_the_mirror_holds_no_file_the_uri_has_lost(tmp_path):
    cache, folder = tmp_path / "cache", tmp_path / "bucket" / "mnist-20261201-101010"
    uri = _stored_sweep(folder, trials_csv="a\n1\n", retest_csv="r\n1\n")
    assert SweepDir.open(uri, cache).retest_csv.exists()
    (folder / "retest.csv").unlink()  # removed at the URI (by hand, or by another machine)
    assert not SweepDir.open(uri, cache).retest_csv.exists()


def test_two_sweeps_of_one_name_started_in_the_same_second_at_a_uri_are_two(tmp_path, monkeypatch):
    monkeypatch.setattr(layout.time, "strftime", lambda _format: "20261201-101010")
    storage, cache = f"file://{tmp_path / 'bucket'}", tmp_path / "cache"
    first = SweepDir.create(storage, "mnist", cache)
    (tmp_path / "bucket" / "mnist-20261201-101010").mkdir(parents=True)  # the first's driver pushed its files
    second = SweepDir.create(storage, "mnist", cache)
    assert first.remote != second.remote and first.root != second.root
    assert second.remote == f"{storage}/mnist-20261201-101010-2"


def test_two_sweeps_of_one_name_started_in_the_same_second_are_two(tmp_path, monkeypatch):
    monkeypatch.setattr(layout.time, "strftime", lambda _format: "20261201-101010")
    first, second = SweepDir.create(tmp_path, "mnist"), SweepDir.create(tmp_path, "mnist")
    assert (first.root.name, second.root.name) == ("mnist-20261201-101010", "mnist-20261201-101010-2")


def test_the_mirror_is_in_the_cache_home_that_xdg_names(tmp_path, monkeypatch):
    """Before, mirrors went to ~/.cache/sweep while MNIST-1D's arrays and error logs honoured $XDG_CACHE_HOME."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    uri = _stored_sweep(tmp_path / "bucket" / "mnist-20261201-101010", trials_csv="a\n1\n")
    assert SweepDir.open(uri).root.parent == tmp_path / "xdg" / "sweep"
