"""Params and spaces: each scale draws on the right scale; coordinates, round trips, tier selection."""

from __future__ import annotations

import re

import numpy as np
import pytest

from search_spaces import Param, Space, SpecError, parse_assignment, sample_configs

N = 20_000


def draws(entry: object, n: int = N, seed: int = 0) -> np.ndarray:
    space = Space.from_dict({"x": entry})
    return np.array([c["x"] for c in sample_configs(space, n, "random", seed)])


def test_loguniform_puts_a_quarter_in_each_decade() -> None:
    x = draws({"loguniform": [1e-4, 1]})
    assert x.min() >= 1e-4 and x.max() <= 1
    for lo in (1e-4, 1e-3, 1e-2, 1e-1):
        share = np.mean((x >= lo) & (x < 10 * lo))
        assert abs(share - 0.25) < 0.02, (lo, share)


def test_beta_puts_half_below_0_99() -> None:
    x = draws({"beta": [0.9, 0.999]})
    assert x.min() >= 0.9 and x.max() <= 0.999
    assert abs(np.mean(x < 0.99) - 0.5) < 0.02


def test_uniform_is_linear() -> None:
    x = draws({"uniform": [0, 10]})
    assert abs(np.mean(x < 5) - 0.5) < 0.02


def test_pow2_draws_only_powers_of_two_and_covers_each() -> None:
    x = draws({"pow2": [10, 300]}, n=2000)
    assert set(x.tolist()) == {16, 32, 64, 128, 256}


def test_int_covers_both_ends() -> None:
    x = draws({"int": [1, 3]}, n=300)
    assert set(x.tolist()) == {1, 2, 3}


def test_from_unit_maps_to_the_own_coordinate() -> None:
    lr = Param.from_entry("lr", {"loguniform": [1e-4, 1]})
    assert lr.from_unit(0.0) == pytest.approx(1e-4)
    assert lr.from_unit(0.5) == pytest.approx(1e-2)
    beta = Param.from_entry("m", {"beta": [0.9, 0.999]})
    assert beta.from_unit(0.5) == pytest.approx(0.99)
    assert beta.coord(0.99) == pytest.approx(-2)
    assert beta.from_coord(-3) == pytest.approx(0.999)
    bs = Param.from_entry("bs", {"pow2": [16, 256]})
    assert bs.coord(64) == 6 and bs.from_coord(5.8) == 64 and bs.from_coord(20) == 256
    layers = Param.from_entry("layers", {"int": [1, 3]})
    assert layers.from_unit(0.999) == 3 and layers.from_coord(2.4) == 2
    choice = Param.from_entry("act", {"choice": ["relu", "tanh"]})
    assert choice.from_unit(0.7) == "tanh" and choice.levels() == ["relu", "tanh"]
    with pytest.raises(ValueError):
        choice.coord("relu")


def test_flags_and_describe() -> None:
    assert Param.from_entry("epochs", 20).is_fixed
    assert Param.from_entry("a", {"choice": ["x"]}).is_fixed
    assert Param.from_entry("a", {"int": [2, 2]}).is_fixed
    lr = Param.from_entry("lr", {"loguniform": [1e-4, 1], "default": 0.05, "tier": 1})
    assert lr.is_numeric and not lr.is_fixed and lr.levels() is None
    assert lr.describe() == "loguniform [0.0001, 1]"
    assert Param.from_entry("d", {"choice": ["none", "inverse_time"]}).describe() == ("choice [none, inverse_time]")


@pytest.mark.parametrize(
    "entry",
    [
        {"loguniform": [1e-4, 1], "default": 0.05, "tier": 1},
        {"beta": [0.8, 0.999], "default": 0.9, "tier": 2},
        {"uniform": [0.5, 1.0]},
        {"int": [1, 3], "default": 1, "tier": 3},
        {"pow2": [16, 256], "default": 64},
        {"choice": ["none", "inverse_time"], "default": "none"},
        {"grid": [1, 2, 3]},
        {"value": [64, 32], "tier": 2},
        20,
    ],
)
def test_param_round_trips_through_its_entry_form(entry: object) -> None:
    param = Param.from_entry("p", entry)
    assert Param.from_entry("p", param.to_dict()) == param


def space() -> Space:
    return Space.from_dict(
        {
            "lr": {"loguniform": [1e-4, 1], "default": 0.05, "tier": 1},
            "momentum": {"beta": [0.8, 0.999], "default": 0.9, "tier": 2},
            "layers": {"int": [1, 3], "default": 1, "tier": 3},
            "seed_offset": {"int": [0, 9]},
            "epochs": 20,
        }
    )


def test_space_is_an_ordered_immutable_mapping() -> None:
    s = space()
    assert s.names == ["lr", "momentum", "layers", "seed_offset", "epochs"]
    assert len(s) == 5 and "lr" in s and s["epochs"].values == (20,)
    assert [p.name for p in s.tuned()] == ["lr", "momentum", "layers", "seed_offset"]
    assert s.tiers() == [1, 2, 3]
    assert Space.from_dict(s.to_dict()) == s
    rows = s.describe_rows()
    assert rows[0] == {
        "name": "lr",
        "scale": "loguniform",
        "range": "[0.0001, 1]",
        "default": "0.05",
        "tier": "1",
    }


def test_select_tiers_holds_the_others_at_their_defaults() -> None:
    s = space().select_tiers({1})
    assert [p.name for p in s.tuned()] == ["lr", "seed_offset"]  # untiered params are always tuned
    assert s["momentum"].describe() == "value 0.9" and s["layers"].values == (1,)
    assert s.names == space().names
    assert s.select_tiers({1}) == s


def test_select_tiers_refuses_a_tier_no_parameter_has() -> None:
    """A typo (`--tier 4` for `--tier 1`) would hold every parameter at its default: a sweep of equal trials."""
    msg = "--tier 4: no parameter of the space has tier 4 (its tiers: 1, 2, 3): choose one of those"
    with pytest.raises(SpecError, match=f"^{re.escape(msg)}$"):
        space().select_tiers({1, 4})
    untiered = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}, "epochs": 3})
    msg = "--tier 1: no parameter of the space has a tier: add tier: N to the ones to tune first, or drop --tier"
    with pytest.raises(SpecError, match=f"^{re.escape(msg)}$"):
        untiered.select_tiers({1})
    assert [p.name for p in space().select_tiers({2, 3}).tuned()] == ["momentum", "layers", "seed_offset"]


def test_an_empty_space_is_refused_by_require_parameters() -> None:
    msg = "space: is empty, so there is nothing to tune: add a parameter, e.g. lr: {loguniform: [1e-4, 1]}"
    with pytest.raises(SpecError, match=f"^{re.escape(msg)}$"):
        Space.from_dict({}).require_parameters()
    assert space().require_parameters() == space()


def test_hold_and_with_param() -> None:
    s = space().hold("lr", 0.1).hold("optimizer", "adam")
    assert s["lr"].is_fixed and s["lr"].values == (0.1,) and s["lr"].tier == 1
    assert s.names[-1] == "optimizer" and s.names[0] == "lr"
    s2 = s.with_param(Param.from_entry("lr", {"uniform": [0, 1]}))
    assert s2["lr"].scale == "uniform" and s2.names == s.names


def test_parse_assignment() -> None:
    assert parse_assignment("lr=0.1") == ("lr", 0.1)
    assert parse_assignment("lr=1e-3") == ("lr", 0.001)
    assert parse_assignment("optimizer=adam") == ("optimizer", "adam")
    assert parse_assignment("layers=2") == ("layers", 2)
    with pytest.raises(SpecError, match=re.escape("--set 'lr': expected key=value")):
        parse_assignment("lr")
