"""`--events FILE`: a new file or an events log gets the events; any other file is left as it is."""

from __future__ import annotations

import json

import pytest

from sweep import events as E
from sweep.cli.event_log import EventLog
from sweep_errors import SweepError
from tests.conftest import invoke_cli


def test_an_events_log_is_appended_to_and_a_new_path_started(tmp_path) -> None:
    path = tmp_path / "events.jsonl"
    EventLog(path)(E.RoundPlanned(number=1, samples=8))
    EventLog(path)(E.RoundPlanned(number=2, samples=8))  # a resumed sweep's log goes on
    assert [json.loads(line)["number"] for line in path.read_text().splitlines()] == [1, 2]


@pytest.mark.parametrize("text", ["root:x:0:0:root:/root:/bin/bash\n", '["a JSON list"]\n', '{"no": "event"}\n'])
def test_a_file_that_is_not_an_events_log_is_refused_and_kept(tmp_path, text: str) -> None:
    path = tmp_path / "precious.txt"
    path.write_text(text)
    with pytest.raises(SweepError, match=r"the file exists and is not an events log"):
        EventLog(path)
    storage = tmp_path / "sweeps"
    proc = invoke_cli("launch", "digits-momentum", "--storage", str(storage), "--events", str(path), "--quiet")
    assert proc.returncode == 2 and proc.stderr == (
        f"error: --events {path}: the file exists and is not an events log (its first line is no sweep event): "
        "give a new path, or an events log to add to\n"
    )
    assert path.read_text() == text and not storage.exists()  # refused before a sweep directory or Ray


def test_the_clis_own_printer_is_not_guarded_a_callers_observer_is() -> None:
    """A closed pipe under `sweep launch | head -1` ends the command as for any of its output; a notebook's
    observer that raises is one warning (sweep.events.guarded)."""
    from sweep.cli.event_log import cli_observer

    def printer(event: E.Event) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(BrokenPipeError):
        E.guarded(cli_observer(printer, None))(E.RoundPlanned(number=1, samples=8))
    with pytest.warns(E.ObserverWarning, match="the observer raised BrokenPipeError"):
        E.guarded(printer)(E.RoundPlanned(number=1, samples=8))
