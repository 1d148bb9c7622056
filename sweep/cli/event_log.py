"""`--events FILE`: a CLI sweep's events as JSON lines, for a program that follows it (a CI job, a dashboard,
the cost bench's phase timings).

Each line is one event (:mod:`sweep.events`): ``{"event": "PhaseTimed", "time": 1796403873.4, "phase": "rounds",
...}``, `time` being when it was told. Fields that are not plain values are written as their one-line text
(a SweepSummary's `result` is ``SweepResult('DIR', completed, 12 trials, ...)``); the spec is left out.

Example:
    >>> import json, tempfile
    >>> from sweep import events as E
    >>> path = tempfile.mkdtemp() + "/events.jsonl"
    >>> log = EventLog(path)
    >>> log(E.RoundPlanned(number=1, samples=8))
    >>> json.loads(open(path).read())["samples"]
    8
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from sweep import events as E
from sweep_errors import SweepError


class EventLog:
    """An observer that appends each event to `path` as a JSON line (flushed: a follower sees it at once); an
    existing file is appended to only when it is an events log already (a resumed sweep's)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if not _appendable(self.path):
            raise SweepError(
                f"--events {path}: the file exists and is not an events log (its first line is no sweep event): "
                "give a new path, or an events log to add to"
            )
        try:
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as err:
            raise SweepError(f"--events {path}: cannot write it ({err.strerror}); give a writable file path") from None

    def __call__(self, event: E.Event) -> None:
        record = {"event": type(event).__name__, "time": time.time()}
        for item in dataclasses.fields(event):  # type: ignore[arg-type]
            if item.repr:
                record[item.name] = _plain(getattr(event, item.name))
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()


def _appendable(path: Path) -> bool:
    """Whether events may go to `path`: it is new, empty, not a plain file (its open says why), or an events
    log, whose first line is a JSON object with an ``event`` key. Appending to any other file would spoil it.

    Example:
        >>> import tempfile
        >>> other = Path(tempfile.mkdtemp()) / "notes.txt"
        >>> _ = other.write_text("my notes\\n")
        >>> _appendable(other), _appendable(other.with_name("new.jsonl"))
        (False, True)
    """
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return True
        with path.open("rb") as file:
            first = file.readline(65536)
    except OSError:  # unreadable: the open for writing says why
        return True
    try:
        record = json.loads(first)
    except ValueError:
        return False
    return isinstance(record, dict) and "event" in record


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    return str(value)


def cli_observer(printer: E.Observer, events: str | None) -> E.Observer:
    """The CLI's printer, plus the `--events` log when one is given (told each event after the printer); sweep's
    own, so a run does not guard it (:func:`sweep.events.trusted`)."""
    if events is None:
        return E.trusted(printer)
    log = EventLog(events)

    def tell(event: E.Event) -> None:
        printer(event)
        log(event)

    return E.trusted(tell)
