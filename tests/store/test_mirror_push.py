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


def test_a_ray_snapshot_pushes_first_when_a_trial_was_recorded_since(tmp_path):
    """Ray uploads its experiment snapshot after asking the callbacks for their state. Before, the URI's tables
    could lag a snapshot that knew of finished trials: a resume from another machine never ran those trials
    again, never got their rows, and stopped as interrupted at every try."""
    directory, now = _uri_sweep(tmp_path), [0.0]
    push = MirrorPush(directory, every=30.0, clock=lambda: now[0])
    push.setup()
    _rows(directory, 2)  # recorded 1 s later: not yet due by the clock
    now[0] = 1.0
    push.on_trial_complete(0, [], None)
    assert not (Path(str(directory.remote).removeprefix("file://")) / "trials.csv").exists()
    assert push.get_state() is None and _at_uri(directory) == 2  # the snapshot's copy carries it up first
    pushed = push.pushed_at
    now[0] = 2.0
    push.get_state()  # nothing recorded since: no copy
    assert push.pushed_at == pushed


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
    # the sweep's name at the URI, not its mirror's (which carries a digest of the URI)
    name = str(directory.remote).rsplit("/", 1)[-1]
    assert listed[1].split()[:4] == [name, "running", "0", "-"] and len(listed) == 2 and name != directory.root.name
    shown = invoke_cli("show", str(directory.remote), check=True).stdout
    assert shown.startswith(f"{name}: running") and directory.root.name not in shown
    missing = invoke_cli("ls", f"file://{tmp_path / 'nothing'}")
    assert missing.returncode == 2 and missing.stderr.startswith(
        f"error: storage directory 'file://{tmp_path}/nothing' not found: "
    )
