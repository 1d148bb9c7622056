"""Reading the CSV tables a sweep appends to, dropping what is broken, and rewriting them whole.

The tables are written by :class:`~sweep.store.csv_appender.CsvAppender`: whole rows or nothing on disk.
:func:`read_table` drops a partial last line and any row whose fields do not parse (a field count that
is not the header's, in trials.csv a status not in :data:`sweep.store.schema.STATUSES`, text in a schema column that
holds numbers or, in history.csv, in a metric column that every other row fills with numbers), with one
:class:`TableWarning` per file naming it and the lines. A write that fails raises :class:`StorageError`.
"""

from __future__ import annotations

import csv
import io
import math
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from sweep.store import schema as S
from sweep_errors import SweepError

# Columns whose cells are numbers (or empty) wherever they appear; the other schema columns are text.
NUMERIC_COLUMNS = frozenset({S.ROUND, S.RUNG, S.EPOCHS, S.TRAIN_SECONDS, S.BEST, S.LAST, S.FINISHED, S.EPOCH, S.WALL})
TEXT_COLUMNS = frozenset({S.PLAN_ID, S.TRIAL_ID, S.STAGE, S.STATUS, S.NODE_IP, S.NODE_ID, S.ERROR})


def plain(value: Any) -> Any:
    """A table cell as a plain Python value (a numpy scalar's `.item()`)."""
    return value.item() if hasattr(value, "item") else value


def missing(value: Any) -> bool:
    """Whether a table cell is empty (pandas reads an empty cell as NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


class StorageError(SweepError):
    """A table could not be written (disk full, read-only, gone); nothing half-written was left behind."""

    exit_code = 1  # a run failure, not a usage mistake


class TableWarning(UserWarning):
    """Rows of a table were dropped because they do not parse (the message names the file and lines)."""


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
    if key == [S.PLAN_ID] and _is_trials_table(list(frame.columns)) and not frame.empty:
        frame = _first_of_conflicting(frame, path, [line for line, _ in problems])
    if key and not frame.empty:
        frame = frame.drop_duplicates(subset=key, keep="last").reset_index(drop=True)
    return frame


def _first_of_conflicting(frame: pd.DataFrame, path: Path, dropped: list[int]) -> pd.DataFrame:
    """trials.csv rows that share a plan id: a resumed trial re-reports its config (the last row wins, as it
    carries the finished run), but a row with other hyperparameter values is not that trial: the first whole
    row is kept, with a warning naming the file and the lines."""
    config = [c for c in frame.columns if c not in S.TRIAL_COLUMNS and c not in (S.ROUND, S.STAGE)]
    repeated = frame[frame.duplicated(subset=[S.PLAN_ID], keep=False)]
    if repeated.empty or not config:
        return frame
    values = repeated[config].astype(str)
    conflicting = [pid for pid, rows in values.groupby(repeated[S.PLAN_ID]) if len(rows.drop_duplicates()) > 1]
    if not conflicting:
        return frame

    def line(index: int) -> int:  # the file's line of the frame's row (header is line 1; skip dropped rows)
        number = index + 2
        for gone in sorted(dropped):
            number += gone <= number
        return number

    notes = []
    for pid in conflicting[:3]:
        rows = [line(int(i)) for i in frame.index[frame[S.PLAN_ID] == pid]]
        notes.append(f"plan_id {pid} on lines {', '.join(map(str, rows))}")
    more = f"; and {len(conflicting) - 3} more" if len(conflicting) > 3 else ""
    warnings.warn(
        f"{path}: rows reuse a plan_id with other values ({'; '.join(notes)}{more}); kept the first row of each",
        TableWarning,
        stacklevel=3,
    )
    first = frame[frame[S.PLAN_ID].isin(conflicting)].drop_duplicates(subset=[S.PLAN_ID], keep="first")
    return pd.concat([frame[~frame[S.PLAN_ID].isin(conflicting)], first]).sort_index()


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


def _numeric_columns(header: list[str], records: list[list[str]]) -> set[int]:
    """Indices of the columns that must hold numbers: the schema's numeric columns, and in a history table any
    column that every other row fills with numbers (a metric)."""
    numeric = {i for i, name in enumerate(header) if name in NUMERIC_COLUMNS}
    if not {S.EPOCH, S.WALL, S.PLAN_ID} <= set(header):  # history.csv holds keys and metrics, no hyperparameters
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
