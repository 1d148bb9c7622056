"""Append-only CSV tables that survive a crash: each row is flushed as it arrives.

Rewriting a whole file per result would make the writer O(n²) over a sweep; appending keeps each report
O(1). A column that appears late (a metric a trainable reports only sometimes) widens the header once.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd


class CsvAppender:
    """Appends dict rows to a CSV file, keeping one header that only grows."""

    def __init__(self, path: Path, leading: Iterable[str] = ()) -> None:
        self.path = Path(path)
        self._leading = list(leading)
        self._columns: list[str] | None = None

    def _read_header(self) -> list[str] | None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return None
        with self.path.open(newline="") as f:
            return next(csv.reader(f), None)

    def append(self, rows: Iterable[Mapping[str, Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        if self._columns is None:
            self._columns = self._read_header()
        wanted = list(self._columns or self._leading)
        for row in rows:
            wanted += [key for key in row if key not in wanted]
        if self._columns is None:
            self._columns = wanted
            self._write_header()
        elif wanted != self._columns:
            self._widen(wanted)
        with self.path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self._columns, extrasaction="ignore")
            writer.writerows(_plain(row) for row in rows)
            f.flush()
            os.fsync(f.fileno())

    def _widen(self, columns: list[str]) -> None:
        """Rewrites the file under a wider header (rare: once per new column), atomically."""
        old = pd.read_csv(self.path) if self.path.stat().st_size else pd.DataFrame()
        self._columns = columns
        tmp = self.path.with_suffix(".tmp")
        old.reindex(columns=columns).to_csv(tmp, index=False)
        os.replace(tmp, self.path)

    def _write_header(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", newline="") as f:
            csv.DictWriter(f, fieldnames=self._columns or []).writeheader()


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """CSV cells: booleans and numbers as they are, nested values as their repr."""
    return {k: (v if isinstance(v, str | int | float | bool) or v is None else repr(v)) for k, v in row.items()}


def read_table(path: Path, key: list[str] | None = None) -> pd.DataFrame:
    """Reads a table written by CsvAppender; with `key`, keeps the last row per key (resumes re-report)."""
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame()
    frame = pd.read_csv(path)
    if key and not frame.empty:
        frame = frame.drop_duplicates(subset=key, keep="last").reset_index(drop=True)
    return frame


def rewrite_table(path: Path, frame: pd.DataFrame) -> None:
    """Replaces a table atomically (used to compact duplicates once a round is over)."""
    tmp = path.with_suffix(".tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)
