"""What a sweep's searcher plans from (:class:`SweepPlan`, fixed while the sweep runs) and what it planned:
each round's configs, written to ``rounds/round-N.plan.csv`` before they run and read back here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search_spaces import SweepSpec, parse_spec
from sweep import events as E
from sweep.run.rounds import RoundSlot
from sweep.store.damage import read_plan_file
from sweep.store.layout import SweepDir
from sweep.store.tables import missing, plain


@dataclass(frozen=True)
class SweepPlan:
    """What the searcher needs that does not change while the sweep runs (picklable: Ray saves it)."""

    directory: SweepDir
    spec: dict[str, Any]  # the spec as run (SweepSpec.to_dict), parsed on use
    base: dict[str, Any]  # the base space (holds and tier selection applied)
    slots: tuple[RoundSlot, ...]  # the rounds this searcher runs
    pbt_interval: int | None = None  # PBT needs a checkpoint at each perturbation epoch
    durable: bool = True  # fsync each proposal to the plan file (a scratch Planner's temporary files need not)
    observer: E.Observer | None = field(default=None, compare=False, repr=False)  # told each round planned

    def __getstate__(self) -> dict[str, Any]:
        """Ray pickles the searcher with its Tuner: the observer (this process's, a terminal's) and the parsed
        spec stay out."""
        return {k: v for k, v in self.__dict__.items() if k not in ("observer", "_parsed")}

    def sweep_spec(self) -> SweepSpec:
        """The spec, parsed once per process: the searcher reads it at every ask (a frozen SweepSpec, shared)."""
        parsed = self.__dict__.get("_parsed")
        if parsed is None:
            parsed = parse_spec(self.spec, str(self.directory.spec_yaml))
            object.__setattr__(self, "_parsed", parsed)
        return parsed


def read_plan(directory: SweepDir, number: int) -> list[dict[str, Any]]:
    """The configs planned for round `number`, as they were written."""
    frame = read_plan_file(directory.round_plan(number))
    return [{k: plain(v) for k, v in row.items() if not missing(v)} for row in frame.to_dict("records")]
