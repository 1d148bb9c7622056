"""The spec's `max_concurrent` holds however a sweep runs: `run_sweep` from Python, `refine`, `resume`."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_spaces import load_spec
from sweep import RunOptions, refine_sweep, resume_sweep, run_sweep
from sweep.run.rounds import RoundSlot
from sweep.store.layout import SweepDir

pytestmark = [pytest.mark.ray, pytest.mark.usefixtures("ray_instance")]


def _intervals(log: Path) -> list[tuple[str, float, float]]:
    rows = [line.split() for line in log.read_text().splitlines()]
    return sorted((plan, float(start), float(end)) for plan, start, end in rows)


def _overlapping(log: Path, round_number: int) -> list[tuple[str, str]]:
    """Pairs of the round's trials that trained at the same time."""
    mine = sorted((s, e, p) for p, s, e in _intervals(log) if p.startswith(f"r{round_number}-"))
    return [(a[2], b[2]) for a, b in zip(mine, mine[1:], strict=False) if b[0] < a[1]]


def test_the_specs_max_concurrent_holds_in_run_refine_and_resume(tmp_path: Path) -> None:
    log = tmp_path / "intervals.log"
    spec = load_spec(
        {
            "name": "one-at-a-time", "trainable": "tests.toy_trainables:timed", "metric": "dev_accuracy",
            "samples": 3, "seed": 1, "max_concurrent": 1, "baseline": False, "scheduler": {"type": "fifo"},
            "space": {"x": {"uniform": [0.0, 1.0]}, "seconds": 0.4, "log": str(log)},
        }
    )  # fmt: skip
    options = RunOptions(storage=str(tmp_path / "sweeps"), quiet=True, final_test=False)
    result = run_sweep(spec, options)  # the spec alone says 1: no command line merged it in
    assert len(_intervals(log)) == 3 and _overlapping(log, 1) == []

    refine_sweep(result.path, rounds=1, samples=3, options=options)
    assert len(_intervals(log)) == 6 and _overlapping(log, 2) == []

    # A refine whose driver died before its Tuner started: resume runs the planned round.
    def add_round(state) -> None:
        state.rounds = [*state.rounds, RoundSlot(3, None, zoom=True, samples=3).to_dict()]
        state.experiment, state.status = None, "interrupted"

    SweepDir(result.path).state.update(add_round)
    resume_sweep(result.path, options)
    assert len(_intervals(log)) == 9 and _overlapping(log, 3) == []
