"""A column that appears late widens a CSV table once: the header grows, earlier rows read as they did, with the
new column empty; the same whether the appender wrote the file or found it on disk (a resumed sweep)."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pandas as pd
import pytest

from sweep.store.csv_appender import CsvAppender
from sweep.store.tables import TableWarning, read_table

FIRST = [
    {"plan_id": "r1-000", "epoch": 1, "wall_seconds": 0.5, "dev_accuracy": 0.25, "diverged": False},
    {"plan_id": "r1-001", "epoch": 1, "wall_seconds": 0.75, "dev_accuracy": 0.5, "diverged": False},
    {"plan_id": "r1-000", "epoch": 2, "wall_seconds": 1.25, "dev_accuracy": 0.625, "diverged": True},
]


def _lines(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def _read_quietly(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a widened table has nothing to drop
        return read_table(path)


@pytest.mark.parametrize("restarted", [False, True], ids=["same-appender", "appender-after-a-restart"])
def test_a_new_column_widens_the_header_and_keeps_the_old_rows(tmp_path: Path, restarted: bool) -> None:
    path = tmp_path / "history.csv"
    appender = CsvAppender(path, ["plan_id", "epoch"], fsync=False)
    appender.append(FIRST)
    before = _read_quietly(path)
    if restarted:  # a new appender reads the header that is on disk
        appender = CsvAppender(path, ["plan_id", "epoch"], fsync=False)
    late = {"plan_id": "r1-001", "epoch": 2, "wall_seconds": 1.5, "dev_accuracy": 0.75, "grad_norm": 3.5}
    appender.append([late])

    lines = _lines(path)
    assert lines[0] == [*FIRST[0], "grad_norm"]  # the old header, then the new column once
    assert all(len(line) == len(lines[0]) for line in lines) and len(lines) == len(FIRST) + 2
    assert path.read_bytes().endswith(b"\n") and not path.with_suffix(".tmp").exists()
    after = _read_quietly(path)
    # The old rows read as before (values; a column the late row leaves empty may read as object, not bool).
    pd.testing.assert_frame_equal(after[before.columns].head(len(FIRST)), before, check_dtype=False)
    assert after["grad_norm"].head(len(FIRST)).isna().all()
    assert after.iloc[-1][["plan_id", "epoch", "dev_accuracy", "grad_norm"]].tolist() == ["r1-001", 2, 0.75, 3.5]
    assert pd.isna(after.iloc[-1]["diverged"])  # the late row lacks an old column: its cell is empty


def test_columns_are_added_in_the_order_first_seen_over_several_appends(tmp_path: Path) -> None:
    path = tmp_path / "trials.csv"
    appender = CsvAppender(path, ["plan_id"], fsync=False)
    appender.append([{"plan_id": "r1-000", "lr": 0.1}])
    appender.append([{"plan_id": "r1-001", "lr": 0.2, "momentum": 0.9}, {"plan_id": "r1-002", "layers": 2}])
    appender.append([{"plan_id": "r1-003", "momentum": 0.5}])  # nothing new: no rewrite
    appender.append([{"plan_id": "r1-004", "dropout": 0.25, "lr": 0.4}])
    frame = _read_quietly(path)
    assert list(frame.columns) == ["plan_id", "lr", "momentum", "layers", "dropout"]
    assert frame["plan_id"].tolist() == [f"r1-00{i}" for i in range(5)]
    as_given = {
        "lr": [0.1, 0.2, None, None, 0.4],
        "momentum": [None, 0.9, None, 0.5, None],
        "layers": [None, None, 2, None, None],
        "dropout": [None, None, None, None, 0.25],
    }
    for column, values in as_given.items():
        read = [None if pd.isna(v) else v for v in frame[column]]
        assert read == values, column


def test_a_second_writer_appends_under_the_widened_header(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    CsvAppender(path, ["plan_id"], fsync=False).append([{"plan_id": "r1-000", "a": 1}])
    CsvAppender(path, ["plan_id"], fsync=False).append([{"plan_id": "r1-001", "b": 2}])  # widens
    CsvAppender(path, ["plan_id"], fsync=False).append([{"plan_id": "r1-002", "a": 3, "b": 4}])  # reads the new header
    assert path.read_text() == "plan_id,a,b\nr1-000,1,\nr1-001,,2\nr1-002,3,4\n"


def test_widening_a_table_with_a_broken_row_keeps_the_readable_ones_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "trials.csv"
    path.write_text("plan_id,status,epochs_trained\nr1-000,completed,3\nr1-001,completed,x\nr1-002,pruned,1\n")
    with pytest.warns(TableWarning, match=r"trials\.csv: dropped 1 unreadable row \(line 3: epochs_trained 'x'"):
        CsvAppender(path, fsync=False).append([{"plan_id": "r1-003", "status": "completed", "lr": 0.1}])
    frame = _read_quietly(path)
    assert frame["plan_id"].tolist() == ["r1-000", "r1-002", "r1-003"]
    assert frame["epochs_trained"].tolist()[:2] == [3, 1] and frame["lr"].tolist()[2] == 0.1
