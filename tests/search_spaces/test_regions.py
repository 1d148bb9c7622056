"""Zoomed rounds sample around each of their best trials: the regions, their shares, the round's plan."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_spaces import Space, SpecError, load_spec, parse_spec, zoom
from search_spaces.regions import best_regions, sample_regions, shares
from sweep.run.rounds import Outcome, RoundSlot, plan_configs, round_regions, round_space
from tests.conftest import tiny_spec

SPACE = Space.from_dict(
    {
        "lr": {"loguniform": [1e-4, 1e-1]},
        "batch_size": {"pow2": [16, 512]},
        "hidden_units": {"int": [32, 512]},
        "keep_prob": {"uniform": [0.5, 1.0]},
        "momentum": {"beta": [0.8, 0.999]},
        "batch_norm": {"choice": [False, True]},
        "epochs": 5,
    }
)


def _results(n: int = 20, seed: int = 3) -> list[tuple[dict, float]]:
    """Configs scored by closeness to lr = 3e-3 in log10: the best are the closest."""
    from search_spaces import sample_configs

    configs = sample_configs(SPACE, n, "random", seed)
    return [(c, -abs(math.log10(c["lr"]) - math.log10(3e-3))) for c in configs]


def test_each_region_holds_its_centre_inside_the_envelope_and_is_narrower_than_the_round():
    results = _results()
    envelope = zoom(SPACE, SPACE, results, "max", 0.25, 0.1)
    regions = best_regions(SPACE, envelope, results, "max", 3, 0.1)
    centres = [c for c, _ in sorted(results, key=lambda r: -r[1])[:3]]
    assert len(regions) == 3
    for region, centre in zip(regions, centres, strict=True):
        for name, value in centre.items():
            assert region[name].contains(value), name
            assert envelope[name].contains(value) or not region[name].is_numeric
        lo, hi = region["lr"].coord_bounds()
        assert hi - lo <= 0.2 * 3 + 1e-9  # ± 10 % of the round's three decades
        assert region["batch_norm"].values == (centre["batch_norm"],)  # a choice holds the centre's value
        for name in ("lr", "keep_prob", "momentum", "hidden_units", "batch_size"):
            e_lo, e_hi = envelope[name].bounds()
            r_lo, r_hi = region[name].bounds()
            assert e_lo <= r_lo <= r_hi <= e_hi, name


def test_regions_rank_by_mode_and_never_outnumber_the_results():
    results = _results(5)
    best_low = best_regions(SPACE, SPACE, results, "min", 2, 0.1)
    worst = min(results, key=lambda r: r[1])[0]
    assert best_low[0]["lr"].contains(worst["lr"])  # mode min: the lowest metric is the best centre
    assert len(best_regions(SPACE, SPACE, results, "max", 9, 0.1)) == 5
    nan_first = [(results[0][0], math.nan), *results[1:]]
    assert best_regions(SPACE, SPACE, nan_first, "max", 5, 0.1)[-1]["lr"].contains(results[0][0]["lr"])


@given(samples=st.integers(0, 200), regions=st.integers(1, 8))
@settings(max_examples=200, deadline=None)
def test_shares_add_up_and_favour_the_better_regions(samples, regions):
    counts = shares(samples, regions)
    assert sum(counts) == samples and len(counts) == regions
    assert all(a >= b for a, b in zip(counts, counts[1:], strict=False))
    total = sum(1 / (j + 1) for j in range(regions))
    assert all(n >= samples / (k + 1) / total - 1 for k, n in enumerate(counts))


def test_sample_regions_draws_every_config_from_a_region_interleaved_and_reproducibly():
    results = _results()
    regions = best_regions(SPACE, SPACE, results, "max", 3, 0.1)
    configs = sample_regions(regions, 11, "random", seed=5)
    assert configs == sample_regions(regions, 11, "random", seed=5) != sample_regions(regions, 11, "random", seed=6)
    homes = [next(k for k, r in enumerate(regions) if all(r[n].contains(v) for n, v in c.items())) for c in configs]
    assert sorted(homes.count(k) for k in range(3)) == sorted(shares(11, 3))
    assert set(homes[:3]) == {0, 1, 2}  # an early end of the round has still sampled around every centre


def _outcomes(results: list[tuple[dict, float]], stage: int | None = None) -> list[Outcome]:
    return [Outcome(f"r1-{k:03d}", 1, stage, c, v) for k, (c, v) in enumerate(results)]


def test_a_zoomed_round_plans_its_configs_inside_its_regions():
    spec = parse_spec({"space": SPACE.to_dict(), "samples": 12, "rounds": {"count": 2, "regions": 2}})
    slot = RoundSlot(2, None, zoom=True, samples=12)
    outcomes = _outcomes(_results())
    envelope = round_space(slot, SPACE, SPACE, outcomes, spec)
    regions = round_regions(slot, envelope, SPACE, outcomes, spec)
    assert len(regions) == 2
    planned = plan_configs(spec, envelope, slot, regions)
    assert [c["plan_id"] for c in planned] == [f"r2-{k:03d}" for k in range(12)]
    assert all(any(all(r[n].contains(c[n]) for n in SPACE.names) for r in regions) for c in planned)
    assert all(all(envelope[n].contains(c[n]) for n in SPACE.names) for c in planned)


def test_no_regions_for_a_first_round_for_regions_0_or_beyond_the_top_fraction():
    outcomes = _outcomes(_results(8))
    zoomed = RoundSlot(2, None, zoom=True, samples=4)
    spec = parse_spec({"space": SPACE.to_dict(), "rounds": {"count": 2}})
    assert spec.rounds.regions == 3
    assert round_regions(RoundSlot(1, None, zoom=False, samples=4), SPACE, None, outcomes, spec) == []
    off = parse_spec({"space": SPACE.to_dict(), "rounds": {"count": 2, "regions": 0}})
    assert round_regions(zoomed, SPACE, SPACE, outcomes, off) == []
    assert len(round_regions(zoomed, SPACE, SPACE, outcomes, spec)) == 2  # ⌈0.25 × 8⌉ centres at most
    other_stage = _outcomes(_results(8), stage=1)
    assert round_regions(RoundSlot(3, 2, zoom=True, samples=4), SPACE, SPACE, other_stage, spec) == []


@pytest.mark.parametrize("value", [-1, 1.5, "three", True])
def test_bad_regions_are_one_line_errors(value):
    with pytest.raises(SpecError, match=r"^rounds\.regions: must be an integer ≥ 0, got ") as caught:
        load_spec(tiny_spec(rounds={"count": 2, "regions": value}))
    assert "\n" not in str(caught.value)
