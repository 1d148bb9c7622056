"""Tables that cannot lie: whole rows or nothing on a full disk, and readers that drop broken rows with a warning."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
import warnings
from pathlib import Path

import pytest

import sweep
from sweep.cli.main import main
from sweep.store import csv_appender, tables
from sweep.store.csv_appender import CsvAppender
from sweep.store.tables import StorageError, TableWarning, read_table, rewrite_table

HEADER = "plan_id,trial_id,round,stage,status,rung,epochs_trained,train_seconds,best_metric,last_metric,lr\n"
ROW = "r1-{i},t{i},1,,completed,,3,1.5,0.9666,0.9666,0.01\n"


def trial_row(i: int) -> dict:
    return {"plan_id": f"r1-{i}", "trial_id": f"t{i}", "round": 1, "status": "completed", "best_metric": 0.9666}


# ----------------------------------------------------------------------------- writing
def test_appends_whole_lines_ending_in_a_newline(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    appender = CsvAppender(path, ["plan_id"])
    appender.append([trial_row(0)])
    appender.append([{**trial_row(1), "extra": 'a "quoted", value'}])  # widens the header once
    assert path.read_text() == (
        "plan_id,trial_id,round,status,best_metric,extra\n"
        "r1-0,t0,1,completed,0.9666,\n"
        'r1-1,t1,1,completed,0.9666,"a ""quoted"", value"\n'
    )


def test_an_appender_cuts_a_partial_last_line_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("plan_id,status\nr1-0,completed\nr1-1,comp")
    with pytest.warns(TableWarning, match=r"t\.csv: cut a partial last line"):
        CsvAppender(path).append([{"plan_id": "r1-2", "status": "completed"}])
    assert path.read_text() == "plan_id,status\nr1-0,completed\nr1-2,completed\n"


def test_a_failing_write_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "trials.csv"
    appender = CsvAppender(path, ["plan_id"])
    appender.append([trial_row(0)])
    before = path.read_bytes()
    real_write = os.write

    def half_then_full(fd: int, data: bytes | memoryview) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))  # the disk takes half a row, then is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(csv_appender.os, "write", half_then_full)
    with pytest.raises(StorageError) as err:
        appender.append([trial_row(1), trial_row(2)])
    assert str(err.value) == (
        f"{path}: cannot append 2 rows (No space left on device); the rows already there are intact: "
        "free space (or fix the mount), then `sweep resume` the sweep"
    )
    assert path.read_bytes() == before
    monkeypatch.undo()
    appender.append([trial_row(3)])  # room again: the appender goes on
    assert list(read_table(path)["plan_id"]) == ["r1-0", "r1-3"]


def test_a_failing_rewrite_keeps_the_previous_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "trials.csv"
    CsvAppender(path).append([trial_row(0)])
    before = path.read_bytes()

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tables.os, "replace", full)
    with pytest.raises(StorageError, match=r"cannot rewrite it \(No space left on device\); the previous version"):
        rewrite_table(path, read_table(path))
    assert path.read_bytes() == before and not path.with_suffix(".tmp").exists()


@pytest.fixture
def tiny_tmpfs(tmp_path: Path):
    """A 64 KiB tmpfs: a real full disk (root only; skipped where mounting is not permitted)."""
    mount = tmp_path / f"full-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root and mount rights): {proc.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_keeps_every_complete_row_readable(tiny_tmpfs: Path) -> None:
    path = tiny_tmpfs / "history.csv"
    appender = CsvAppender(path, ["plan_id"])
    written = 0
    with pytest.raises(StorageError, match=r"history\.csv: cannot append 7 rows \(No space left on device\)"):
        for batch in range(10_000):
            appender.append([{**trial_row(batch * 7 + i), "epoch": i, "padding": "x" * 40} for i in range(7)])
            written += 7
    assert written > 100 and path.read_bytes().endswith(b"\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to drop: no half row was left behind
        frame = read_table(path)
    assert len(frame) == written and list(frame["plan_id"])[-1] == f"r1-{written - 1}"


# ----------------------------------------------------------------------------- reading
@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        ("r1-2,t2,1,,com", "line 4: a partial last line (cut off mid-write)"),
        ("r1-2,t2,1,,completed,,3,1.5,0.9", "line 4: a partial last line (cut off mid-write)"),
        ("r1-2,t2,1,,com\n", "line 4: 5 fields where the header has 11"),
        ("r1-2,t2,1,,done,,3,1.5,0.9666,0.9666,0.01\n", "line 4: status 'done' is not one of completed"),
        ("r1-2,t2,1,,completed,,3,1.5,0.9x66,0.9666,0.01\n", "line 4: best_metric '0.9x66' is not a number"),
    ],
    ids=["mid-field", "mid-row", "short-row", "bad-status", "bad-metric"],
)
def test_a_broken_row_is_dropped_with_one_warning(tmp_path: Path, tail: str, reason: str) -> None:
    path = tmp_path / "trials.csv"
    path.write_text(HEADER + ROW.format(i=0) + ROW.format(i=1) + tail)
    with pytest.warns(TableWarning) as caught:
        frame = read_table(path)
    assert len(caught) == 1
    assert str(caught[0].message).startswith(f"{path}: dropped 1 unreadable row ({reason}")
    assert list(frame["plan_id"]) == ["r1-0", "r1-1"] and list(frame["best_metric"]) == [0.9666, 0.9666]


def test_a_history_row_with_a_non_numeric_metric_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    rows = "".join(f"r1-0,t0,1,{e},0.{e},0.9{e},False\n" for e in range(1, 6))
    path.write_text(
        "plan_id,trial_id,round,epoch,wall_seconds,dev_accuracy,diverged\n" + rows + "r1-0,t0,1,6,0.6,oops,False\n"
    )
    with pytest.warns(TableWarning, match=r"history\.csv: dropped 1 unreadable row \(line 7: dev_accuracy 'oops'"):
        frame = read_table(path)
    assert list(frame["epoch"]) == [1, 2, 3, 4, 5] and frame["dev_accuracy"].dtype.kind == "f"


def test_a_good_table_reads_without_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "trials.csv"
    path.write_text(HEADER + ROW.format(i=0) + 'r1-1,t1,1,,error,,0,,,,"a, b"\n'.replace('"a, b"', "0.5"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_table(path)) == 2


def _sweep_dir(root: Path, trials: str) -> Path:
    directory = root / "s-20260101-000000"
    directory.mkdir()
    (directory / "sweep.json").write_text('{"status": "completed", "metric": "best_metric", "mode": "max"}')
    (directory / "trials.csv").write_text(trials)
    return directory


def test_load_show_and_export_drop_the_truncated_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = _sweep_dir(tmp_path, HEADER + ROW.format(i=0) + ROW.format(i=1) + "r1-2,t2,1,,completed,,3,1.5,0.9")
    with pytest.warns(TableWarning, match=r"trials\.csv: dropped 1 unreadable row \(line 4: a partial last line"):
        assert len(sweep.load(directory).trials) == 2
    for argv in (["show", str(directory)], ["export", str(directory), "-o", str(tmp_path / "out.csv")]):
        try:
            main(argv)
        except SystemExit as exit_:
            assert exit_.code in (0, None)
        err = capsys.readouterr().err
        dropped = "dropped 1 unreadable row (line 4: a partial last line (cut off mid-write))"
        assert err == f"warning: {directory / 'trials.csv'}: {dropped}\n"
    assert len(read_table(tmp_path / "out.csv")) == 2


def test_other_tables_keep_their_own_statuses_and_mixed_columns(tmp_path: Path) -> None:
    nudges = tmp_path / "nudges.csv"  # babysit's: its status column says applied/rejected
    nudges.write_text(
        "epoch,key,value,status,reason,requested_at\n3,lr,0.1,applied,,1.0\n4,lr_decay,step,applied,,2.0\n"
    )
    changes = tmp_path / "pbt_changes.csv"  # PBT's old/new values mix numbers and choices
    changes.write_text(
        "plan_id,trial_id,round,epoch,param,old,new\n"
        + "".join(f"r1-{i},t{i},1,2,lr,0.{i + 1},0.{i + 2}\n" for i in range(5))
        + "r1-9,t9,1,2,lr_decay,none,step\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(read_table(nudges)["value"]) == ["0.1", "step"]
        assert len(read_table(changes)) == 6
