"""A zoomed round keeps exploring: `rounds.explore` of its samples come from the whole space again."""

from __future__ import annotations

import math

import numpy as np
import pytest

from search_spaces import Space, SpecError, parse_spec, sample_configs
from sweep.run.rounds import (
    Outcome,
    RoundSlot,
    explore_count,
    explore_space,
    plan_configs,
    round_regions,
    round_space,
)

SPACE = Space.from_dict(
    {
        "lr": {"loguniform": [1e-4, 1e-1], "default": 1e-2, "tier": 1},
        "hidden_units": {"int": [32, 512], "default": 64, "tier": 2},
        "keep_prob": {"uniform": [0.5, 1.0], "default": 0.8, "tier": 2},
        "batch_norm": {"choice": [False, True], "default": False, "tier": 3},
        "epochs": 5,
    }
)
ZOOMED = RoundSlot(2, None, zoom=True, samples=30)


def _spec(**rounds) -> object:
    return parse_spec({"space": SPACE.to_dict(), "samples": 30, "rounds": {"count": 2, **rounds}})


def _outcomes(stage: int | None = None) -> list[Outcome]:
    """Round 1's results, scored by closeness to lr = 3e-3 in log10 (the best are the closest)."""
    configs = sample_configs(SPACE, 40, "random", 0)
    return [
        Outcome(f"r1-{k:03d}", 1, stage, c, -abs(math.log10(c["lr"]) - math.log10(3e-3))) for k, c in enumerate(configs)
    ]


def _plan(spec, slot=ZOOMED, outcomes=None):
    outcomes = outcomes or _outcomes()
    envelope = round_space(slot, SPACE, SPACE, outcomes, spec)
    regions = round_regions(slot, envelope, SPACE, outcomes, spec)
    wide = explore_space(slot, SPACE, SPACE, outcomes, spec)
    return plan_configs(spec, envelope, slot, regions, wide), regions


def _in_a_region(config: dict, regions: list[Space]) -> bool:
    return any(all(r[n].contains(config[n]) for n in SPACE.names) for r in regions)


def test_a_third_of_a_zoomed_round_is_drawn_from_the_whole_space_interleaved():
    spec = _spec()
    assert spec.rounds.explore == pytest.approx(1 / 3) and explore_count(spec, ZOOMED) == 10
    planned, regions = _plan(spec)
    assert [c["plan_id"] for c in planned] == [f"r2-{k:03d}" for k in range(30)]
    outside = [k for k, c in enumerate(planned) if not _in_a_region(c, regions)]
    # the regions are narrow (± 0.1 of each range), so nearly every whole-space draw lands outside all of them
    assert 8 <= len(outside) <= 10, outside
    assert all(all(SPACE[n].contains(c[n]) for n in SPACE.names) for c in planned)
    assert _in_a_region(planned[0], regions)  # the best region's centre leads
    assert sum(1 for k in outside if k < 15) >= 4  # taking turns: a round cut at half has explored too
    round_one = sample_configs(SPACE, 30, "random", spec.seed)
    assert not any(c["lr"] == r["lr"] for c in planned for r in round_one)  # not round 1's draws again


@pytest.mark.parametrize("samples", [1, 2, 5])
def test_a_small_round_keeps_one_zoomed_sample_at_least(samples):
    spec = _spec(explore=0.9)
    slot = RoundSlot(2, None, zoom=True, samples=samples)
    assert explore_count(spec, slot) == samples - 1
    planned, regions = _plan(spec, slot)
    assert len(planned) == samples and _in_a_region(planned[0], regions)


def test_explore_0_samples_only_the_regions():
    spec = _spec(explore=0)
    assert explore_count(spec, ZOOMED) == 0 and explore_space(ZOOMED, SPACE, SPACE, _outcomes(), spec) is None
    planned, regions = _plan(spec)
    assert len(planned) == 30 and all(_in_a_region(c, regions) for c in planned)


def test_no_exploring_share_in_a_first_round_a_grid_or_without_a_previous_round():
    spec = _spec()
    first = RoundSlot(1, None, zoom=False, samples=30)
    assert explore_count(spec, first) == 0 and explore_space(first, SPACE, None, _outcomes(), spec) is None
    assert explore_space(ZOOMED, SPACE, None, _outcomes(), spec) is None  # nothing was zoomed
    grid = parse_spec({"space": {"x": {"grid": [1, 2, 3]}}, "sampler": "grid", "rounds": 2})
    assert explore_count(grid, RoundSlot(2, None, zoom=True, samples=3)) == 0


def test_a_staged_round_explores_its_stage_with_earlier_tiers_held_at_the_best():
    spec = _spec()
    slot = RoundSlot(3, 2, zoom=True, samples=30)
    outcomes = _outcomes(stage=2)
    best = max(outcomes, key=lambda o: o.best).config
    wide = explore_space(slot, SPACE, SPACE, outcomes, spec)
    assert wide is not None and wide["lr"].levels() == [best["lr"]]  # tier 1 held
    assert wide["hidden_units"].low == 32 and wide["hidden_units"].high == 512  # tier 2: its whole range


@pytest.mark.parametrize("bad", [1, 1.5, -0.1, "a third", True])
def test_a_bad_explore_is_one_line(bad):
    with pytest.raises(SpecError, match=r"^rounds\.explore: must be a number in \[0, 1\), got ") as caught:
        parse_spec({"space": {"x": {"uniform": [0, 1]}}, "rounds": {"count": 2, "explore": bad}})
    assert "\n" not in str(caught.value)


def test_explore_round_trips_through_the_spec():
    spec = _spec(explore=0.25)
    assert spec.to_dict()["rounds"]["explore"] == 0.25
    assert parse_spec(spec.to_dict()).rounds.explore == 0.25


@pytest.mark.parametrize(("value", "parsed"), [(None, (2.0, 2.0)), (1, (1.0, 1.0)), ([2, 0.2], (2.0, 0.2))])
def test_exploration_is_one_weight_or_a_falling_pair_and_round_trips(value, parsed):
    rounds = {"count": 3} if value is None else {"count": 3, "exploration": value}
    spec = parse_spec({"space": {"x": {"uniform": [0, 1]}}, "rounds": rounds})
    assert spec.rounds.exploration == parsed and parse_spec(spec.to_dict()).rounds == spec.rounds


@pytest.mark.parametrize("bad", [-1, [2], [2, 1, 0], "high", [2, -0.1], True])
def test_a_bad_exploration_is_one_line(bad):
    with pytest.raises(SpecError, match=r"^rounds\.exploration: must be a number ≥ 0 or a list \[first, last\]"):
        parse_spec({"space": {"x": {"uniform": [0, 1]}}, "rounds": {"count": 2, "exploration": bad}})


def test_the_exploration_weight_falls_along_the_stage_from_first_to_last():
    from sweep.run.guided import GuidedRound

    rounds = {"count": 3, "exploration": [2, 0.2]}
    spec = parse_spec({"space": {"x": {"uniform": [0, 1]}}, "samples": 10, "rounds": rounds})
    weights = [GuidedRound(n, 10, 0, {}, [], None).exploration(spec, i) for n in (1, 2, 3) for i in range(10)]
    assert weights[0] == 2.0 and math.isclose(weights[-1], 0.2) and all(np.diff(weights) < 0)
    staged_round_4 = GuidedRound(4, 10, 0, {}, [], None).exploration(spec, 0)  # stage 2's first round: afresh
    assert staged_round_4 == 2.0


def test_batch_warmup_is_a_flag_off_by_default():
    space = {"x": {"uniform": [0, 1]}}
    assert parse_spec({"space": space, "rounds": 2}).rounds.batch_warmup is False
    assert parse_spec({"space": space, "rounds": {"count": 2, "batch_warmup": True}}).rounds.batch_warmup is True
    with pytest.raises(SpecError, match=r"^rounds\.batch_warmup: "):
        parse_spec({"space": space, "rounds": {"count": 2, "batch_warmup": "yes please"}})
