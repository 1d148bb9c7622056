"""Append-only CSV tables that cannot lie: whole rows or nothing on disk, and readers that drop what is broken.

Rewriting a whole file per result would make the writer O(n²) over a sweep; appending keeps each report
O(1). A column that appears late (a metric a trainable reports only sometimes) widens the header once.

Writing: a batch of rows is encoded as one buffer, ends in a newline, is written with one call, flushed and
fsync'ed. Measured on the 2-core machine's ext4 disk: 0.17 ms per append with fsync, 0.014 ms without; appends
come at most once per trial report, so the sync is kept: a power cut loses no reported row. On any OS error
(a full disk, a lost mount) the file is truncated back to its size before the append, so no half row is left,
and :class:`StorageError` says which file and what to do. An appender that finds a partial last line (a
crash mid-write by an older writer) cuts it off before appending, so new rows never merge with it.

Reading: :func:`read_table` drops a partial last line and any row whose fields do not parse (a field count that
is not the header's, in trials.csv a status not in :data:`sweep.store.schema.STATUSES`, text in a schema column that
holds numbers or, in history.csv, in a metric column that every other row fills with numbers), with one
:class:`TableWarning` per file naming it and the lines.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from search_spaces.errors import SweepError
from sweep.store import schema as S

# Columns whose cells are numbers (or empty) wherever they appear; the other schema columns are text.
NUMERIC_COLUMNS = frozenset({S.ROUND, S.RUNG, S.EPOCHS, S.TRAIN_SECONDS, S.BEST, S.LAST, S.FINISHED, S.EPOCH, S.WALL})
TEXT_COLUMNS = frozenset({S.PLAN_ID, S.TRIAL_ID, S.STAGE, S.STATUS, S.NODE_IP, S.NODE_ID, S.ERROR})


class StorageError(SweepError):
    """A table could not be written (disk full, read-only, gone); nothing half-written was left behind."""

    exit_code = 1  # a run failure, not a usage mistake


class TableWarning(UserWarning):
    """Rows of a table were dropped because they do not parse (the message names the file and lines)."""


class CsvAppender:
    """Appends dict rows to a CSV file, keeping one header that only grows.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "t.csv"
        >>> CsvAppender(path, ["a"]).append([{"a": 1, "b": 2}])
        >>> path.read_text()
        'a,b\\n1,2\\n'
    """

    def __init__(self, path: Path, leading: Iterable[str] = (), fsync: bool = True) -> None:
        self.path = Path(path)
        self._leading = list(leading)
        self._columns: list[str] | None = None
        self._fsync = fsync

    def _read_header(self) -> list[str] | None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return None
        _cut_partial_last_line(self.path)
        with self.path.open(newline="") as f:
            return next(csv.reader(f), None)

    def append(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append `rows` as whole lines, or raise StorageError leaving the file as it was."""
        rows = list(rows)
        if not rows:
            return
        try:
            if self._columns is None:
                self._columns = self._read_header()
        except OSError as err:
            raise _storage_error(self.path, err, len(rows)) from None
        wanted = list(self._columns or self._leading)
        for row in rows:
            wanted += [key for key in row if key not in wanted]
        if self._columns is None:
            self._columns = wanted
            self._write_header()
        elif wanted != self._columns:
            self._widen(wanted)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self._columns, extrasaction="ignore", lineterminator="\n")
        writer.writerows(_plain(row) for row in rows)
        self._write_whole(buffer.getvalue().encode())

    def _write_whole(self, data: bytes) -> None:
        """One write of whole lines; on failure the file is cut back to where it was."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as err:
            raise _storage_error(self.path, err, data.count(b"\n")) from None
        try:
            before = os.fstat(fd).st_size
            try:
                view = memoryview(data)
                while view:  # a short write (a full disk) raises on the next call
                    written = os.write(fd, view)
                    view = view[written:]
                if self._fsync:
                    os.fsync(fd)
            except OSError as err:
                _truncate(fd, before)
                raise _storage_error(self.path, err, data.count(b"\n")) from None
        finally:
            os.close(fd)

    def _widen(self, columns: list[str]) -> None:
        """Rewrites the file under a wider header (rare: once per new column), atomically."""
        old = read_table(self.path)
        self._columns = columns
        tmp = self.path.with_suffix(".tmp")
        try:
            old.reindex(columns=columns).to_csv(tmp, index=False, lineterminator="\n")
            os.replace(tmp, self.path)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            self._columns = None  # re-read the header that is still on disk next time
            raise _storage_error(self.path, err, 0) from None

    def _write_header(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            with tmp.open("w", newline="") as f:
                csv.DictWriter(f, fieldnames=self._columns or [], lineterminator="\n").writeheader()
            os.replace(tmp, self.path)
        except OSError as err:
            self.path.with_suffix(".tmp").unlink(missing_ok=True)
            self._columns = None
            raise _storage_error(self.path, err, 0) from None


def _storage_error(path: Path, err: OSError, rows: int) -> StorageError:
    what = f"cannot append {rows} row{'s' if rows != 1 else ''}" if rows else "cannot write the header"
    return StorageError(
        f"{path}: {what} ({err.strerror or err}); the rows already there are intact: "
        "free space (or fix the mount), then `sweep resume` the sweep"
    )


def _truncate(fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
    except OSError:  # nothing more can be done; the reader drops a partial last line
        pass


def _cut_partial_last_line(path: Path) -> None:
    """Cut a last line with no newline (a crash mid-write), so appended rows do not merge with it."""
    with path.open("rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        keep = size - 1
        while keep > 0:  # walk back to the previous newline, a block at a time
            start = max(0, keep - 65536)
            f.seek(start)
            block = f.read(keep - start)
            at = block.rfind(b"\n")
            if at >= 0:
                keep = start + at + 1
                break
            keep = start
        warnings.warn(f"{path}: cut a partial last line (a write was interrupted)", TableWarning, stacklevel=3)
        f.truncate(keep)


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """CSV cells: booleans and numbers as they are, nested values as their repr."""
    return {k: (v if isinstance(v, str | int | float | bool) or v is None else repr(v)) for k, v in row.items()}


# --- reading ---------------------------------------------------------------------------------------------------
def read_table(path: Path, key: list[str] | None = None) -> pd.DataFrame:
    """Reads a table written by CsvAppender, dropping unreadable rows with one warning; with `key`, keeps the
    last row per key (resumes re-report).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "trials.csv"
        >>> _ = path.write_text("plan_id,status,best_metric\\nr1-0,completed,0.9\\nr1-1,com")
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     frame = read_table(path)
        >>> len(frame), "line 3: a partial last line" in str(caught[0].message)
        (1, True)
    """
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame()
    text = path.read_bytes().decode("utf-8", errors="replace")
    text, problems = clean_table_text(text)
    if problems:
        shown = "; ".join(f"line {line}: {why}" for line, why in problems[:3])
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        count = f"{len(problems)} unreadable row{'s' if len(problems) != 1 else ''}"
        warnings.warn(f"{path}: dropped {count} ({shown}{more})", TableWarning, stacklevel=2)
    if not text.strip():
        return pd.DataFrame()
    frame = pd.read_csv(io.StringIO(text))
    if key and not frame.empty:
        frame = frame.drop_duplicates(subset=key, keep="last").reset_index(drop=True)
    return frame


def clean_table_text(text: str) -> tuple[str, list[tuple[int, str]]]:
    """The table's text without its unreadable rows, and (line number, reason) for each row dropped.

    Example:
        >>> table = "round,status,epochs_trained\\n1,completed,3\\nx,completed,3\\n1,done,3\\n"
        >>> text, problems = clean_table_text(table)
        >>> text, problems[0], problems[1][1].startswith("status 'done' is not one of completed, pruned")
        ('round,status,epochs_trained\\n1,completed,3\\n', (3, "round 'x' is not a number"), True)
    """
    problems: list[tuple[int, str]] = []
    if not text.endswith("\n"):
        cut = text.rfind("\n") + 1
        problems.append((text.count("\n", 0, cut) + 1, "a partial last line (cut off mid-write)"))
        text = text[:cut]
    lines = text.split("\n")
    reader = csv.reader(io.StringIO(text, newline="\n"))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return "", problems
    spans: list[tuple[int, int, list[str]]] = []
    start = reader.line_num
    try:
        for record in reader:
            spans.append((start, reader.line_num, record))
            start = reader.line_num
    except csv.Error as err:  # an unterminated quote swallows the rest: keep the rows before it
        problems.append((start + 1, f"cannot be parsed ({err})"))
    bad: dict[int, str] = {}
    numeric = _numeric_columns(header, [r for _, _, r in spans if len(r) == len(header)])
    for first, _, record in spans:
        reason = _row_problem(header, record, numeric)
        if reason:
            bad[first] = reason
    if not bad and len(problems) == 0:
        return text, problems
    kept = lines[: spans[0][0]] if spans else lines[:1]  # the header's line(s)
    for first, last, _ in spans:
        if first not in bad:
            kept.extend(lines[first:last])
    problems = sorted(problems + [(first + 1, why) for first, why in bad.items()])
    return "\n".join(kept) + "\n", problems


def _is_trials_table(header: list[str]) -> bool:
    """trials.csv (its status column holds trial statuses; other tables' `status` columns hold their own)."""
    return S.STATUS in header and S.EPOCHS in header


def _is_history_table(header: list[str]) -> bool:
    """history.csv: keys and reported metrics only (no hyperparameters, whose choices may mix types)."""
    return S.EPOCH in header and S.WALL in header and S.PLAN_ID in header


def _numeric_columns(header: list[str], records: list[list[str]]) -> set[int]:
    """Indices of the columns that must hold numbers: the schema's numeric columns, and in a history table any
    column that every other row fills with numbers (a metric)."""
    numeric = {i for i, name in enumerate(header) if name in NUMERIC_COLUMNS}
    if not _is_history_table(header):
        return numeric
    for i, name in enumerate(header):
        if i in numeric or name in TEXT_COLUMNS:
            continue
        values = [r[i] for r in records if r[i] != ""]
        failures = sum(1 for v in values if not _is_number(v))
        if len(values) >= 2 and failures <= max(1, len(values) // 100) and failures < len(values) - 1:
            numeric.add(i)
    return numeric


def _row_problem(header: list[str], record: list[str], numeric: set[int]) -> str | None:
    if len(record) != len(header):
        return f"{len(record)} fields where the header has {len(header)}"
    for i, value in enumerate(record):
        if i in numeric and value != "" and not _is_number(value):
            return f"{header[i]} {value[:40]!r} is not a number"
    if _is_trials_table(header):
        status = record[header.index(S.STATUS)]
        if status not in S.STATUSES:
            return f"status {status[:40]!r} is not one of {', '.join(S.STATUSES)}"
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def rewrite_table(path: Path, frame: pd.DataFrame) -> None:
    """Replaces a table atomically (used to compact duplicates once a round is over)."""
    tmp = path.with_suffix(".tmp")
    try:
        frame.to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise StorageError(
            f"{path}: cannot rewrite it ({err.strerror or err}); the previous version is intact: free space, "
            "then try again"
        ) from None
