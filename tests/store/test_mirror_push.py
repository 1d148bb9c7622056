"""A sweep stored at a URI is there while it runs: its mirror goes up when the Tuner starts and then every so
often; and reading the URI on the driver's own machine leaves the mirror the driver writes as it is."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sweep.run.mirror_push import MirrorPush
from sweep.store.layout import SweepDir
from sweep.store.lock import hold_driver_lock
from sweep.store.state import SweepState
from tests.conftest import invoke_cli, tiny_spec


def _uri_sweep(tmp_path: Path) -> SweepDir:
    directory = SweepDir.create(f"file://{tmp_path / 'bucket'}", "tiny", tmp_path / "cache")
    directory.write_yaml(directory.spec_yaml, tiny_spec())
    directory.state.create(SweepState(name="tiny", status="running", rounds=[{"number": 1, "samples": 6}]))
    return directory


def _rows(directory: SweepDir, count: int) -> None:
    pd.DataFrame({"plan_id": [f"r1-00{i}" for i in range(count)]}).to_csv(directory.trials_csv, index=False)


def _at_uri(directory: SweepDir) -> int:
    assert directory.remote is not None
    return len(pd.read_csv(Path(directory.remote.removeprefix("file://")) / "trials.csv"))


def test_the_uri_gets_the_sweep_when_it_starts_and_at_most_every_interval(tmp_path):
    """Before, the rounds ran in one Tuner and the URI got its first sweep.json and tables when they had all
    ended: `sweep show URI` from another machine found no sweep while it ran, and a lost driver left none."""
    directory, now = _uri_sweep(tmp_path), [0.0]
    push = MirrorPush(directory, every=30.0, clock=lambda: now[0])
    _rows(directory, 1)
    push.setup()
    assert _at_uri(directory) == 1
    _rows(directory, 2)
    now[0] = 29.0
    push.on_trial_result(0, [], None, {})
    assert _at_uri(directory) == 1  # not yet: a few small files at most every 30 s
    now[0] = 30.0
    push.on_trial_complete(0, [], None)
    assert _at_uri(directory) == 2


def test_reading_the_uri_keeps_the_mirror_its_driver_writes_here(tmp_path):
    """The URI lags the driver's mirror by up to the interval; pulling it into the mirror under a running driver
    would put older tables under the rows the driver appends."""
    directory = _uri_sweep(tmp_path)
    _rows(directory, 1)
    directory.sync()
    _rows(directory, 3)  # the driver has recorded more since
    assert directory.remote is not None
    with hold_driver_lock(directory.root):
        opened = SweepDir.open(directory.remote, tmp_path / "cache")
        assert opened.root == directory.root and len(pd.read_csv(opened.trials_csv)) == 3
    SweepDir.open(directory.remote, tmp_path / "cache")  # no driver: the URI's copy is the sweep
    assert len(pd.read_csv(directory.trials_csv)) == 1


def test_sweep_ls_lists_the_sweeps_at_a_uri(tmp_path):
    """Before, `sweep ls s3://bucket/sweeps` (a launch's --storage) looked for a local folder named so."""
    directory = _uri_sweep(tmp_path)
    directory.sync()
    listed = invoke_cli("ls", f"file://{tmp_path / 'bucket'}", check=True).stdout.splitlines()
    assert listed[0].split() == ["sweep", "status", "trials", "best", "started"]
    assert listed[1].split()[:4] == [directory.root.name, "running", "0", "-"] and len(listed) == 2
    missing = invoke_cli("ls", f"file://{tmp_path / 'nothing'}")
    assert missing.returncode == 2 and missing.stderr.startswith(
        f"error: storage directory 'file://{tmp_path}/nothing' not found: "
    )
