"""A model-guided round (``rounds.model: gp``): its trials are proposed one at a time, as workers free up.

The round keeps coarse to fine's frame: round 1 of a stage samples its whole space, a zoomed round its regions
around the best trials so far inside the zoom's envelope, with its `explore` share drawn from the whole space
again. What the model adds is the choice: each trial is the draw of highest upper confidence bound among
`CANDIDATES` draws from there (:class:`search_spaces.surrogate.Surrogate`), fitted on every result so far, with
the trials still running counted at what the model expects of them. Until there are enough results to fit, a
draw is taken as it comes (round 1's first trials: the baseline, then random draws).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from search_spaces import Space, SweepSpec, sample_configs
from search_spaces.regions import sample_regions
from search_spaces.surrogate import Surrogate, local_draws
from sweep.run.rounds import RoundSlot, explore_count
from sweep.store.layout import SweepDir
from sweep.store.plan_ids import plan_id

CANDIDATES = 128  # draws the model chooses among, per trial (and as many near the best trials so far)
LOCAL_CENTRES = 5  # the best trials whose neighbourhoods the model also looks in


def guided(spec: SweepSpec) -> bool:
    """Whether the spec's rounds propose their trials with the model (a grid lays out its own points)."""
    return spec.rounds.model == "gp" and spec.sampler in ("random", "sobol")


def initial_design(spec: SweepSpec, slot: RoundSlot, surrogate: Surrogate | None, results: int, room: int = 0
                   ) -> RoundSlot | None:  # fmt: skip
    """The part of a round planned up front, before the model can choose: a stage's first round draws until the
    model has enough results to fit (its first trial the baseline), with `room` more for configs carried over
    (``--warm-start``); a zoomed round plans nothing up front."""
    if slot.zoom or surrogate is None:
        return None
    needed = max(surrogate.columns() + 1, 5) - results
    return RoundSlot(slot.number, slot.stage, slot.zoom, min(slot.samples, max(1, needed) + room))


@dataclass
class GuidedRound:
    """Where the current round draws from, and how many of its trials are planned so far (picklable)."""

    number: int
    samples: int
    handed: int  # trials planned so far (up front or proposed)
    space: dict[str, Any]
    regions: list[dict[str, Any]]
    wide: dict[str, Any] | None  # the stage's whole space: the exploring share's, and the model's wider draws
    exploring: int = 0  # how many of the round's samples the exploring share draws at random from `wide`

    @classmethod
    def start(cls, spec: SweepSpec, slot: RoundSlot, planned: int, space: Space, regions: list[Space],
              explore: Space | None, whole: Space | None) -> GuidedRound:  # fmt: skip
        exploring = explore_count(spec, slot) if explore is not None else 0
        wide = whole if whole is not None else explore
        return cls(slot.number, slot.samples, planned, space.to_dict(), [r.to_dict() for r in regions],
                   None if wide is None else wide.to_dict(), exploring)  # fmt: skip

    @classmethod
    def resumed(cls, spec: SweepSpec, slot: RoundSlot, directory: SweepDir, planned: int) -> GuidedRound:
        """The round as its files left it (a restart that lost the searcher's own state)."""
        space = Space.from_dict(directory.read_yaml(directory.round_space(slot.number)))
        path = directory.round_regions(slot.number)
        regions = [Space.from_dict(r) for r in directory.read_yaml(path)] if path.exists() else []
        wide_path = directory.round_explore(slot.number)
        whole = Space.from_dict(directory.read_yaml(wide_path)) if wide_path.exists() else None
        return cls.start(spec, slot, planned, space, regions, whole if slot.zoom else None, whole)

    def _space(self, data: dict[str, Any]) -> Space:
        """A space of the round, parsed once per process (the parsed copies are not pickled)."""
        cache = self.__dict__.setdefault("_parsed", {})
        if id(data) not in cache:
            cache[id(data)] = Space.from_dict(data)
        return cache[id(data)]

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_parsed"}

    @property
    def open(self) -> bool:
        return self.handed < self.samples

    def exploration(self, spec: SweepSpec, index: int) -> float:
        """The doubt's weight for trial `index` of this round: `rounds.exploration` along the stage's budget
        (its rounds' samples in a row)."""
        first, last = spec.rounds.exploration
        earlier = (self.number - 1) % spec.rounds.count * self.samples  # the stage's earlier rounds' samples
        return exploration_at(first, last, earlier + index, spec.rounds.count * self.samples)

    def propose(self, spec: SweepSpec, surrogate: Surrogate, results: list[tuple[dict[str, Any], float]],
                pending: list[dict[str, Any]], centres: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
        """The round's next trial (with the spec's data and its plan id); `centres` are the best trials so far,
        best first, whose neighbourhoods the model also looks in."""
        index = self.handed
        seed = (spec.seed * 1_000_003 + self.number * 10_007 + index) % 2**63
        if self.wide is not None and _explores(index, self.samples, self.exploring):
            config = sample_configs(self._space(self.wide), 1, "random", seed)[0]
        else:
            space = self._space(self.space)
            if self.regions:
                draws = sample_regions([self._space(r) for r in self.regions], CANDIDATES, "random", seed)
            else:
                draws = sample_configs(space, CANDIDATES, "random", seed)
            if self.wide is not None:  # the model may also look beyond the zoom, where it expects more
                draws += sample_configs(self._space(self.wide), CANDIDATES, "random", seed + 2)
            warmup = spec.rounds.batch_warmup
            if centres and surrogate.ready(len(results), len(pending), warmup):  # refine the best trials too
                draws += local_draws(space, centres, CANDIDATES, seed + 1)
            config = surrogate.choose(results, pending, draws, self.exploration(spec, index), warmup)
        config = dict(config)
        if spec.data is not None and "data" not in config:
            config["data"] = spec.data
        config["plan_id"] = plan_id(self.number, index)
        self.handed += 1
        return config


def exploration_at(first: float, last: float, done: int, total: int) -> float:
    """The acquisition's weight on the model's doubt at proposal `done` of a stage's `total`: a straight line
    from `first` to `last`.

    Example:
        >>> [round(exploration_at(2.0, 0.2, i, 3), 6) for i in range(3)]
        [2.0, 1.1, 0.2]
    """
    share = min(1.0, done / max(1, total - 1))
    return first + (last - first) * share


def _explores(index: int, samples: int, exploring: int) -> bool:
    """Whether trial `index` of a round of `samples` is one of its `exploring` whole-space draws, spread evenly.

    Example:
        >>> [i for i in range(9) if _explores(i, 9, 3)]
        [1, 4, 7]
    """
    return any(int((j + 0.5) * samples / exploring) == index for j in range(exploring))
