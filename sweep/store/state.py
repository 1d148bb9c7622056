"""A sweep's state (``sweep.json``) as a typed record, and its one writer.

The driver's threads (the launch loop, the searcher planning a round, the budget stopper, the summary) all
change the state; each change goes through :meth:`StateFile.update`, which reads, applies one function and
writes atomically under a lock, so no change overwrites another and a kill mid-write leaves the previous
file readable. Keys this version does not know (written by a newer one) are kept on every rewrite.

Example:
    >>> import tempfile
    >>> states = StateFile(Path(tempfile.mkdtemp()))
    >>> states.create(SweepState(name="demo", rounds=[{"number": 1}]))
    >>> states.update(lambda s: s.start_round(1)).round_status
    {'1': 'running'}
    >>> states.read().status
    'running'
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

STATE_FILE = "sweep.json"
_LOCK = threading.Lock()  # one driver process writes; its threads take turns


@dataclass
class SweepState:
    """What sweep.json holds: how the sweep was asked for, where it stands, and its summary once done."""

    name: str = ""
    status: str = "planned"  # planned → running → completed | interrupted | failed
    metric: str = "dev_accuracy"
    mode: str = "max"
    params: list[str] = field(default_factory=list)
    started_at: float = 0.0
    project_dir: str | None = None
    remote: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    rounds: list[dict[str, Any]] = field(default_factory=list)  # RoundSlot.to_dict() of each round
    round_status: dict[str, str] = field(default_factory=dict)  # round number → running | done
    experiment: str | None = None  # the Ray Tune experiment under ray/ that runs the rounds not yet done
    driver: dict[str, Any] | None = None  # pid and host of the process driving the sweep
    budget_spent: bool = False
    not_started: list[str] = field(default_factory=list)  # plan ids the sweep's end left unstarted
    summary: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # keys of another version, kept as they were

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepState:
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {key: value for key, value in data.items() if key in known and value is not None}
        return cls(**values, extra={key: value for key, value in data.items() if key not in known})

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; optional keys appear once they are set, as sweeps have always written them."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        for key in ("experiment", "driver", "summary", "not_started", "budget_spent"):
            if not data[key]:
                del data[key]
        return {**data, **self.extra}

    # --- transitions: the changes the driver's parts make ---------------------------------------------------
    def start_round(self, number: int) -> None:
        self.round_status[str(number)] = "running"
        self.status = "running"

    def finish_rounds(self, numbers: Iterable[int]) -> None:
        for number in numbers:
            self.round_status[str(number)] = "done"

    def leave_unstarted(self, plan_ids: Iterable[str]) -> None:
        self.not_started = sorted(set(self.not_started) | set(plan_ids))

    def is_done(self, number: int) -> bool:
        return self.round_status.get(str(number)) == "done"


class StateFile:
    """The one reader and writer of a sweep directory's sweep.json."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / STATE_FILE

    def read(self) -> SweepState:
        from sweep.store.damage import read_state_json  # a damaged file is one line naming it

        return SweepState.from_dict(read_state_json(self.path))

    def create(self, state: SweepState) -> None:
        with _LOCK:
            self._write(state)

    def update(self, change: Callable[[SweepState], Any]) -> SweepState:
        """Reads the state, applies `change` to it, writes it back; returns the state as written."""
        with _LOCK:
            state = self.read()
            change(state)
            self._write(state)
            return state

    def _write(self, state: SweepState) -> None:
        tmp = self.path.with_name(STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(state.to_dict(), indent=2, default=str))
        os.replace(tmp, self.path)
