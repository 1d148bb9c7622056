"""sample_configs: random, Sobol and grid; grid entries cross; tiers hold; seeded and real-valued."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
from scipy.stats import qmc

from search_spaces import Space, SpecError, load_spec, sample_configs
from search_spaces.sampling import grid_levels, grid_shape


def unit_space(d: int) -> Space:
    return Space.from_dict({f"x{i}": {"uniform": [0, 1]} for i in range(d)})


def as_array(configs: list[dict], names: list[str]) -> np.ndarray:
    return np.array([[c[n] for n in names] for c in configs])


def largest_gap(x: np.ndarray) -> float:
    return float(np.diff(np.sort(np.concatenate([[0.0], x, [1.0]]))).max())


def test_sobol_covers_the_cube_more_evenly_than_random() -> None:
    space = unit_space(3)
    n = 100
    sobol = as_array(sample_configs(space, n, "sobol", seed=0), space.names)
    randoms = [as_array(sample_configs(space, n, "random", seed=s), space.names) for s in range(5)]
    assert all(qmc.discrepancy(sobol) < qmc.discrepancy(r) for r in randoms)
    assert max(largest_gap(sobol[:, j]) for j in range(3)) < min(
        max(largest_gap(r[:, j]) for j in range(3)) for r in randoms
    )


def test_same_arguments_same_configs_and_seed_matters() -> None:
    space = load_spec("digits-momentum").space
    for sampler in ("random", "sobol", "grid"):
        assert sample_configs(space, 7, sampler, 3) == sample_configs(space, 7, sampler, 3)
    assert sample_configs(space, 7, "random", 3) != sample_configs(space, 7, "random", 4)
    assert sample_configs(space, 7, "sobol", 3) != sample_configs(space, 7, "sobol", 4)


def test_configs_carry_real_python_values_for_every_param() -> None:
    space = load_spec("digits-momentum").space
    for sampler in ("random", "sobol"):
        configs = sample_configs(space, 50, sampler, 0)
        assert len(configs) == 50
        for c in configs:
            assert list(c) == space.names
            assert 0.8 <= c["momentum"] <= 0.999 and 1e-4 <= c["lr"] <= 1  # β itself, not log10(1 - β)
            assert c["epochs"] == 20 and c["optimizer"] == "momentum"
            assert c["batch_size"] in (16, 32, 64, 128, 256) and c["lr_decay"] in ("none", "inverse_time")
            for v in c.values():
                assert type(v) in (int, float, str), (v, type(v))


def test_grid_sampler_enumerates_exactly_the_cross_product() -> None:
    space = Space.from_dict(
        {
            "lr": {"loguniform": [1e-4, 1]},
            "act": {"choice": ["relu", "tanh"]},
            "layers": {"int": [1, 3]},
            "epochs": 5,
        }
    )
    configs = sample_configs(space, 18, "grid", 0)
    # 3 lr points (cell centres in log10) × 2 activations × 3 layers = 18 (a 4th lr point would give 24 > 18)
    expected = itertools.product([10**-3.333, 1e-2, 10**-0.6667], ["relu", "tanh"], [1, 2, 3])
    got = [(c["lr"], c["act"], c["layers"]) for c in configs]
    assert len(got) == 18
    for (lr, act, layers), (elr, eact, elayers) in zip(got, expected, strict=True):
        assert lr == pytest.approx(elr, rel=1e-3) and (act, layers) == (eact, elayers)
    assert all(c["epochs"] == 5 for c in configs)


def test_grid_levels_are_cell_centres_in_the_own_coordinate() -> None:
    beta = Space.from_dict({"m": {"beta": [0.9, 0.999]}})["m"]
    assert grid_levels(beta, 2) == pytest.approx([0.9684, 0.9968], abs=1e-4)  # 1−β = 10^-1.5, 10^-2.5
    assert grid_levels(beta, 1) == pytest.approx([0.99])
    units = Space.from_dict({"u": {"int": [16, 256], "default": 64}})["u"]
    assert grid_levels(units, 2) == [76, 196] and grid_levels(units, 1) == [64]
    batch = Space.from_dict({"b": {"pow2": [16, 256]}})["b"]
    assert grid_levels(batch, 2) == [32, 128] and grid_levels(batch, 3) == [16, 64, 256]
    assert grid_levels(batch, 9) == [16, 32, 64, 128, 256]


def test_grid_never_exceeds_n_and_grows_the_lowest_tier_first() -> None:
    # Before: `sample --sampler grid -n 3` on the default preset printed 80 rows of range endpoints.
    space = load_spec("digits-momentum").space
    three = sample_configs(space, 3, "grid", 0)
    assert len(three) == 3
    assert [c["lr"] for c in three] == pytest.approx([10**-3.333, 1e-2, 10**-0.6667], rel=1e-3)
    for c in three:  # everything but the tier-1 learning rate held at its default
        assert (c["momentum"], c["batch_size"], c["hidden_units"], c["layers"], c["lr_decay"]) == (
            0.9,
            64,
            64,
            1,
            "none",
        )
    for n in (1, 2, 5, 10, 24, 100):
        configs = sample_configs(space, n, "grid", 0)
        assert 1 <= len(configs) <= n
        lrs = {c["lr"] for c in configs}
        assert 1e-4 not in lrs and 1.0 not in lrs  # no range endpoints
    assert grid_shape(unit_space(2), 20) == {"x0": 5, "x1": 4}  # 5 × 4 = 20; 5 × 5 = 25 > 20
    assert len(sample_configs(unit_space(8), 10, "grid", 0)) <= 10


def test_grid_entries_cross_with_random_draws() -> None:
    space = Space.from_dict(
        {"opt": {"grid": ["sgd", "adam"]}, "wd": {"grid": [0, 1e-4, 1e-3]}, "lr": {"loguniform": [1e-4, 1]}}
    )
    for sampler in ("random", "sobol"):
        configs = sample_configs(space, 4, sampler, 0)
        assert len(configs) == 4 * 2 * 3
        combos = [(c["opt"], c["wd"]) for c in configs]
        assert sorted(set(combos)) == sorted(itertools.product(["sgd", "adam"], [0, 1e-4, 1e-3]))
        assert all(combos.count(combo) == 4 for combo in set(combos))
        assert len({c["lr"] for c in configs}) == len(configs)  # fresh draws in every cell


def test_tiers_hold_untuned_params_at_defaults() -> None:
    space = load_spec("digits-momentum").space.select_tiers({1})
    configs = sample_configs(space, 20, "random", 0)
    assert len({c["lr"] for c in configs}) == 20
    for c in configs:
        assert (c["momentum"], c["batch_size"], c["hidden_units"], c["layers"]) == (0.9, 64, 64, 1)
        assert (c["lr_decay"], c["decay_rate"]) == ("none", 0.1)


def test_param_without_default_cannot_be_held() -> None:
    space = Space.from_dict({"lr": {"loguniform": [1e-4, 1], "tier": 1}, "units": {"int": [8, 64], "tier": 2}})
    msg = "space.units: cannot hold it fixed for tier selection: it has no default (add default: or select tier 2)"
    with pytest.raises(SpecError, match=f"^{re.escape(msg)}$"):
        space.select_tiers({1})


def test_bad_sampler_and_count() -> None:
    with pytest.raises(SpecError, match=re.escape("sampler: unknown sampler 'lhs' (choose random, sobol, grid)")):
        sample_configs(unit_space(1), 3, "lhs", 0)
    with pytest.raises(SpecError, match=re.escape("samples: must be an integer ≥ 1, got 0")):
        sample_configs(unit_space(1), 0, "random", 0)


def test_sobol_with_any_n_and_no_warning(recwarn: pytest.WarningsRecorder) -> None:
    configs = sample_configs(unit_space(2), 10, "sobol", 0)
    assert len(configs) == 10 and not [w for w in recwarn if "balance" in str(w.message)]
    assert math.isclose(np.mean([c["x0"] for c in configs]), 0.5, abs_tol=0.1)
