"""Which rounds a sweep runs, and how each round's space follows from the results so far (pure logic).

Coarse to fine: round 1 samples the whole space, its first trial the baseline (the defaults); each later round
zooms into the region of the best trials so far (one box around them, its envelope) and samples around each of
the best few inside it (`regions`), a share of its samples drawn from the whole space again (`explore`).
Staged (`--staged`): tier 1 with the rest at defaults, then tier 2 with tier 1 held at its best, …
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from search_spaces import Space, SpecError, SweepSpec, baseline_config, sample_configs, zoom
from search_spaces.regions import best_regions, sample_regions
from sweep.store.plan_ids import plan_id
from sweep.store.ranking import rank_order


@dataclass(frozen=True)
class RoundSlot:
    """One planned round: its number, the tier it tunes (staged sweeps), and whether it zooms."""

    number: int
    stage: int | None
    zoom: bool
    samples: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def round_slots(spec: SweepSpec, space: Space, staged: bool) -> list[RoundSlot]:
    """The rounds of a new sweep: `rounds.count` per stage, the first of each stage sampling afresh.

    TPE replaces the zoom: a `sampler: tpe` sweep is one round of `samples × rounds` trials. The scheduler
    refuses first what it cannot run with (PBT: tpe, `--staged`).
    """
    from sweep.schedulers import get_scheduler

    get_scheduler(spec.scheduler.type).refuse(spec, staged)
    if spec.sampler == "tpe":
        if staged:
            raise SpecError("--staged: sampler tpe proposes every tier at once; drop --staged or use sampler random")
        return [RoundSlot(1, None, zoom=False, samples=spec.samples * spec.rounds.count)]
    stages: list[int | None] = list(space.tiers()) if staged else [None]
    slots: list[RoundSlot] = []
    for stage in stages:
        for k in range(spec.rounds.count):
            slots.append(RoundSlot(len(slots) + 1, stage, zoom=k > 0, samples=spec.samples))
    return slots


def stage_space(base: Space, stage: int | None, best: dict[str, Any] | None) -> Space:
    """The space of a stage's first round: its tier sampled, earlier tiers held at the best values so far."""
    if stage is None:
        return base
    space = base.select_tiers({stage})
    for param in base.tuned():
        if param.tier is not None and param.tier < stage and best is not None and param.name in best:
            space = space.hold(param.name, best[param.name])
    return space


def zoomed_space(
    previous: Space, base: Space, results: list[tuple[dict[str, Any], float]], spec: SweepSpec, ranked: bool = False
) -> Space:
    """The next round's space: the previous one narrowed around the best results (`ranked`: best first already),
    inside the base bounds."""
    usable = [(config, value) for config, value in results if value is not None and not math.isnan(value)]
    if not usable:
        return previous
    rounds = spec.rounds
    return zoom(previous, base, usable, spec.mode, rounds.top_fraction, rounds.margin, rounds.expand, ranked)


@dataclass(frozen=True)
class Outcome:
    """What planning needs to know of one trial: its round and stage, config, and best metric so far."""

    plan_id: str
    round: int
    stage: int | None
    config: dict[str, Any]
    best: float | None
    epochs: int = 0  # epochs reported so far: the ranking compares trials on comparable evidence
    status: str | None = None  # its status once recorded (None: running, or told by a planner)


def plan_configs(
    spec: SweepSpec, space: Space, slot: RoundSlot, regions: list[Space] | None = None, wide: Space | None = None
) -> list[dict[str, Any]]:
    """The round's sampled configs with the spec's data and their plan ids (seeded by the round number):
    drawn from `regions` when the round has them (a zoomed round), else from `space`, with the exploring share
    (:func:`explore_count`) drawn from `wide` when given (:func:`explore_space`) and interleaved; a sweep's
    first round leads with the baseline (:func:`leads_with_baseline`)."""
    seed = spec.seed + slot.number - 1
    exploring = explore_count(spec, slot) if wide is not None else 0
    if regions:
        configs = sample_regions(regions, slot.samples - exploring, spec.sampler, seed)
    else:
        configs = sample_configs(space, slot.samples - exploring, spec.sampler, seed)
    if exploring:
        assert wide is not None
        configs = _interleave(configs, sample_configs(wide, exploring, spec.sampler, seed + _EXPLORE_SEED))
    if leads_with_baseline(spec, slot):
        configs = [baseline_config(space), *configs[:-1]]
    planned = []
    for index, config in enumerate(configs):
        config = dict(config)
        if spec.data is not None and "data" not in config:
            config["data"] = spec.data
        config["plan_id"] = plan_id(slot.number, index)
        planned.append(config)
    return planned


_EXPLORE_SEED = 104729  # the exploring draws' own stream: never round 1's draws again


def explore_count(spec: SweepSpec, slot: RoundSlot) -> int:
    """How many of a zoomed round's samples are drawn from the whole space again: `rounds.explore` of them,
    rounded, leaving the zoom one at least (none in other rounds, or on a grid, which lays out its own points).

    Example:
        >>> from search_spaces import parse_spec
        >>> spec = parse_spec({"space": {"lr": {"loguniform": [1e-4, 1]}}, "rounds": 2})
        >>> zoomed, first = RoundSlot(2, None, zoom=True, samples=32), RoundSlot(1, None, zoom=False, samples=32)
        >>> explore_count(spec, zoomed), explore_count(spec, first)
        (11, 0)
    """
    if not slot.zoom or spec.sampler == "grid":
        return 0
    return max(0, min(round(spec.rounds.explore * slot.samples), slot.samples - 1))


def explore_space(
    slot: RoundSlot, base: Space, previous: Space | None, outcomes: Iterable[Outcome], spec: SweepSpec
) -> Space | None:
    """Where a zoomed round's exploring share is drawn: the space its stage's first round sampled (the whole
    space when unstaged; a stage's tier with earlier tiers held at the best so far); none for other rounds."""
    if not slot.zoom or previous is None or explore_count(spec, slot) == 0:
        return None
    return stage_space(base, slot.stage, best_config(outcomes, spec.mode))


def _interleave(first: list[Any], second: list[Any]) -> list[Any]:
    """Both lists in one, each item at its fraction of its own list (`first` leads), so a round cut short by a
    budget has drawn both in proportion.

    Example:
        >>> _interleave(["a1", "a2", "a3", "a4"], ["b1", "b2"])
        ['a1', 'a2', 'b1', 'a3', 'a4', 'b2']
    """
    tagged = [(i / len(first), 0, item) for i, item in enumerate(first)]
    tagged += [((i + 0.5) / len(second), 1, item) for i, item in enumerate(second)]
    return [item for *_, item in sorted(tagged, key=lambda t: (t[0], t[1]))]


def leads_with_baseline(spec: SweepSpec, slot: RoundSlot) -> bool:
    """Whether the round's first trial is the baseline (the defaults) in place of one draw: a sweep's first round
    with `baseline: true`; a grid lays out its own points."""
    return spec.baseline and slot.number == 1 and spec.sampler != "grid"


def round_space(
    slot: RoundSlot, base: Space, previous: Space | None, outcomes: Iterable[Outcome], spec: SweepSpec
) -> Space:
    """The space a round samples: a stage's first round holds earlier tiers at the best so far; a zooming
    round narrows the previous round's space around the best outcomes of its stage (trials still running
    count with their best so far: they are the ones ASHA kept, and leaving them out would zoom on the pruned).
    """
    outcomes = list(outcomes)
    if not slot.zoom or previous is None:
        best = best_config(outcomes, spec.mode)
        return stage_space(base, slot.stage, best)
    return zoomed_space(previous, base, _zoom_results(slot, previous, outcomes, spec.mode), spec, ranked=True)


class RoundLayout(NamedTuple):
    """Where a round samples (:func:`round_layout`): its space, its regions and where its exploring share is drawn."""

    space: Space
    regions: list[Space]
    wide: Space | None


def round_layout(
    slot: RoundSlot, base: Space, previous: Space | None, outcomes: Iterable[Outcome], spec: SweepSpec
) -> RoundLayout:
    """The round's :func:`round_space`, :func:`round_regions` and :func:`explore_space` from the outcomes so far:
    the searcher's planning of a round (:func:`plan_configs` draws from it), in one call."""
    outcomes = list(outcomes)
    space = round_space(slot, base, previous, outcomes, spec)
    regions = round_regions(slot, space, previous, outcomes, spec)
    return RoundLayout(space, regions, explore_space(slot, base, previous, outcomes, spec))


def round_regions(
    slot: RoundSlot, space: Space, previous: Space | None, outcomes: Iterable[Outcome], spec: SweepSpec
) -> list[Space]:
    """Where a zoomed round samples: around each of the best `rounds.regions` outcomes of its stage, inside
    the round's `space` (its envelope, from :func:`round_space`); none for other rounds or `regions: 0`."""
    if not slot.zoom or previous is None or spec.rounds.regions == 0:
        return []
    rounds = spec.rounds
    results = [(c, v) for c, v in _zoom_results(slot, previous, outcomes, spec.mode) if not math.isnan(v)]
    count = min(rounds.regions, math.ceil(rounds.top_fraction * len(results)))  # centres among the envelope's
    return best_regions(previous, space, results, spec.mode, count, rounds.margin, ranked=True)


def _zoom_results(
    slot: RoundSlot, previous: Space, outcomes: Iterable[Outcome], mode: str
) -> list[tuple[dict[str, Any], float]]:
    """(config, best so far) of the outcomes that steer a zoomed round, best first: its stage's, with a value."""
    mine = ranked([o for o in outcomes if slot.stage is None or o.stage == slot.stage], mode)
    return [({k: o.config[k] for k in previous.names if k in o.config}, o.best) for o in mine if o.best is not None]


def ranked(outcomes: Iterable[Outcome], mode: str) -> list[Outcome]:
    """The outcomes with a value, best first by the sweep's one ranking (:func:`~sweep.store.ranking.rank_trials`):
    a trial pruned early on one lucky reading comes after those that trained to a comparable rung."""
    scored = [o for o in outcomes if o.best is not None]
    rows = [(float(o.best), float(o.epochs), str(o.status)) for o in scored]  # type: ignore[arg-type]
    return [scored[i] for i in rank_order(rows, mode)]


def best_config(outcomes: Iterable[Outcome], mode: str) -> dict[str, Any] | None:
    """The config of the best outcome by :func:`ranked`, or None when nothing has a finite value yet."""
    best = next(iter(ranked(outcomes, mode)), None)
    return None if best is None or not math.isfinite(best.best) else best.config  # type: ignore[arg-type]


def enough_evidence(reported: int, planned: int) -> bool:
    """Whether a round's results can steer the next one: at least half its trials have reported.

    On a small machine this always holds by the time the round's last config has started; on a cluster
    that starts the whole round at once, the next round waits for half of it rather than zoom on nothing.

    Example:
        >>> enough_evidence(11, 24), enough_evidence(12, 24)
        (False, True)
    """
    return reported >= max(1, math.ceil(planned / 2))


def sweep_max_epochs(spec: SweepSpec, space: Space) -> int:
    """ASHA's max_t for the whole sweep: the spec's, else the most epochs any config can train, else 100."""
    if spec.scheduler.max_t:
        return int(spec.scheduler.max_t)
    if "epochs" not in space:
        return 100
    param = space["epochs"]
    values = param.levels() or ([param.high] if param.high is not None else [])
    numbers = [int(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return max(numbers) if numbers else 100
