"""The winner's last checkpoint, read for its test-split score at a sweep's end."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from sweep.winners.summary import _final_checkpoint
from trainables.checkpoint import STATE_FILE, save_state


def _checkpoint(sweep: Path, trial_id: str, number: int) -> Path:
    return sweep / "ray" / "sweep" / f"train_{trial_id}_00001" / f"checkpoint_{number:06d}"


def test_the_last_checkpoint_is_read_and_a_damaged_one_counts_as_absent(tmp_path) -> None:
    result = SimpleNamespace(path=tmp_path)
    assert _final_checkpoint(result, "abc") is None  # no checkpoint here: the winner is retrained
    save_state({"epoch": 1}, _checkpoint(tmp_path, "abc", 1))
    save_state({"epoch": 2}, _checkpoint(tmp_path, "abc", 2))
    assert _final_checkpoint(result, "abc") == {"epoch": 2}
    (_checkpoint(tmp_path, "abc", 2) / STATE_FILE).write_bytes(b"PK\x03\x04 cut short")
    assert _final_checkpoint(result, "abc") is None  # not an 'unexpected' error at the end of a sweep
