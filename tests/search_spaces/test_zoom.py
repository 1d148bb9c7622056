"""zoom: coarse to fine around the best trials, never outside the round-1 bounds."""

from __future__ import annotations

import math

import pytest

from search_spaces import Param, Space, SweepError, sample_configs, zoom, zoom_lines
from search_spaces.zoom import crowded_edge, hard_limits, trend_rho


def objective(config: dict) -> float:
    return -((math.log10(config["lr"]) + 2) ** 2)  # best at lr = 1e-2


def run(space: Space, n: int = 40, seed: int = 0) -> list[tuple[dict, float]]:
    return [(c, objective(c)) for c in sample_configs(space, n, "random", seed)]


def test_round_two_contains_the_optimum_and_is_narrower() -> None:
    space = Space.from_dict({"lr": {"loguniform": [1e-4, 1], "default": 0.05}, "epochs": 5})
    new = zoom(space, space, run(space), "max", 0.25, 0.1)
    (low, high), (old_low, old_high) = new["lr"].bounds(), space["lr"].bounds()
    assert new["lr"].scale == "loguniform" and low < 1e-2 < high
    assert math.log10(high / low) < 0.5 * math.log10(old_high / old_low)
    assert new["lr"].default == (0.05 if new["lr"].contains(0.05) else high)
    assert new["epochs"] == space["epochs"]
    third = zoom(new, space, run(new, seed=1), "max", 0.25, 0.1)
    low3, high3 = third["lr"].bounds()
    assert low3 < 1e-2 < high3 and math.log10(high3 / low3) <= math.log10(high / low)


def test_mode_min_and_non_finite_metrics_rank_last() -> None:
    space = Space.from_dict({"x": {"uniform": [0, 10]}})
    results = [({"x": float(x)}, float(x)) for x in range(11)] + [
        ({"x": 9.5}, math.nan),
        ({"x": 9.7}, -math.inf),
    ]
    new = zoom(space, space, results, "min", 2 / 13, 0.0)
    assert (new["x"].low, new["x"].high) == (0.0, 1.0)
    new = zoom(space, space, results, "max", 1 / 13, 0.0)
    assert new["x"].high == 10.0 and new["x"].low == pytest.approx(10.0 - 1e-2)  # collapsed: minimum width


def test_collapsed_top_keeps_a_margin_wide_window() -> None:
    space = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}})
    new = zoom(space, space, [({"lr": 1e-2}, 1.0), ({"lr": 1e-4}, 0.0)], "max", 0.5, 0.1)
    # width 0.1 × 4 decades on each side of 1e-2 (log10 -2 ± 0.4)
    low, high = new["lr"].bounds()
    assert (math.log10(low), math.log10(high)) == pytest.approx((-2.4, -1.6))


def test_categorical_pruning_keeps_original_order() -> None:
    space = Space.from_dict({"act": {"choice": ["relu", "tanh", "gelu", "elu"], "default": "relu"}})
    results = [({"act": "gelu"}, 3.0), ({"act": "relu"}, 2.0), ({"act": "tanh"}, 0.0), ({"act": "elu"}, 1.0)]
    new = zoom(space, space, results, "max", 0.5, 0.1)
    assert new["act"].values == ("relu", "gelu") and new["act"].default == "relu"
    new = zoom(space, space, results, "max", 0.25, 0.1)
    assert new["act"].values == ("gelu",) and new["act"].default == "gelu" and new["act"].is_fixed


def test_bounds_never_leave_the_original_space() -> None:
    bounds = Space.from_dict(
        {
            "m": {"beta": [0.9, 0.999], "default": 0.9},
            "bs": {"pow2": [16, 256], "default": 64},
            "units": {"int": [16, 256]},
            "g": {"grid": [1, 2]},
        }
    )
    # the best trials sit on the upper edges; a huge margin would push far past them
    results = [
        ({"m": 0.999, "bs": 256, "units": 256, "g": 1}, 1.0),
        ({"m": 0.9, "bs": 16, "units": 16, "g": 2}, 0),
    ]
    new = zoom(bounds, bounds, results, "max", 0.5, 5.0)
    assert new == bounds
    new = zoom(bounds, bounds, results, "max", 0.5, 0.1)
    m, bs, units = new["m"], new["bs"], new["units"]
    m_low, m_high = m.bounds()
    assert m_high == 0.999 and 0.9 < m_low < 0.999 and m.default == m_low  # default clipped into the range
    assert bs.values == (128, 256) and (bs.low, bs.high) == (128, 256) and bs.default == 128
    assert all(v & (v - 1) == 0 for v in bs.levels() or [])
    u_low, u_high = units.bounds()
    assert u_high == 256 and 16 < u_low < 256 and isinstance(u_low, int)
    assert new["g"] == bounds["g"]


def test_pow2_and_int_round_outward() -> None:
    bounds = Space.from_dict({"bs": {"pow2": [16, 256]}, "units": {"int": [0, 100]}})
    results = [({"bs": 64, "units": 50}, 1.0), ({"bs": 32, "units": 41}, 0.9), ({"bs": 256, "units": 0}, 0.0)]
    new = zoom(bounds, bounds, results, "max", 0.5, 0.1)
    # log2: [5, 6] ± 0.1 × 4 = [4.6, 6.4] → outward [16, 128]; linear [41, 50] ± 10 → [31, 60]
    assert new["bs"].levels() == [16, 32, 64, 128]
    assert (new["units"].low, new["units"].high) == (31, 60)


def test_zoom_lines_and_errors() -> None:
    old = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}, "act": {"choice": ["a", "b"]}, "epochs": 3})
    new = old.with_param(Param("lr", "loguniform", 1e-3, 0.05)).with_param(Param("act", "choice", values=("a",)))
    assert zoom_lines(old, new) == ["lr: loguniform [0.0001, 1] → [0.001, 0.05]", "act: choice [a, b] → [a]"]
    with pytest.raises(SweepError, match="no finished trials"):
        zoom(old, old, [], "max", 0.25, 0.1)


def test_expand_moves_past_a_crowded_upper_edge_in_log10() -> None:
    # The case: lr in [1e-6, 1e-4] on digits, best 0.57 at 9.4e-5; without expand round 2 zooms in.
    space = Space.from_dict({"lr": {"loguniform": [1e-6, 1e-4], "default": 1e-5}, "epochs": 5})
    results = [({"lr": 9.4e-5}, 0.57), ({"lr": 7e-5}, 0.5), ({"lr": 4e-5}, 0.4), ({"lr": 2e-6}, 0.1)]
    zoomed = zoom(space, space, results, "max", 0.5, 0.1)
    assert zoomed["lr"].high == 1e-4  # stuck at the bound
    expanded = zoom(space, space, results, "max", 0.5, 0.1, expand=True)
    low, high = expanded["lr"].bounds()
    assert high == pytest.approx(1e-2)  # one width (2 decades) past the crowded bound
    assert math.log10(low) == pytest.approx(math.log10(7e-5) - 0.2)  # the best trials' span, margin 0.1 × 2
    assert expanded["lr"].default == 1e-5 or expanded["lr"].contains(expanded["lr"].default)


def test_expand_keeps_beta_below_one_and_pow2_at_powers_of_two() -> None:
    space = Space.from_dict({"m": {"beta": [0.9, 0.999]}, "bs": {"pow2": [16, 64]}, "p": {"uniform": [0.5, 1.0]}})
    results = [({"m": 0.999, "bs": 16, "p": 1.0}, 1.0), ({"m": 0.998, "bs": 16, "p": 0.98}, 0.9)]
    results += [({"m": 0.9, "bs": 64, "p": 0.5}, 0.0)]
    new = zoom(space, space, results, "max", 0.5, 0.1, expand=True)  # the top 2 of 3
    m_low, m_high = new["m"].bounds()
    assert 0.999 < m_high < 1 and m_high == pytest.approx(1 - 1e-5) and m_low < 0.998
    assert new["bs"].values == (4, 8, 16, 32)  # log2 [4, 6]: one width (2) below 16, the span + margin above
    assert new["p"].high == 1.0 and 0.5 < new["p"].low < 0.98  # a [0, 1] uniform stays inside [0, 1]
    assert crowded_edge(space["m"], [0.999, 0.998, 0.9]) == "high"
    assert crowded_edge(space["bs"], [16, 16, 64]) == "low"
    assert crowded_edge(space["m"], [0.99, 0.999]) is None  # the best one is in the middle (1−β = 10^-2)


def test_hard_limits_per_scale() -> None:
    assert hard_limits(Param.from_entry("x", {"uniform": [-1, 1]})) == (-math.inf, math.inf)
    assert hard_limits(Param.from_entry("x", {"uniform": [0, 5]})) == (0.0, math.inf)
    assert hard_limits(Param.from_entry("x", {"int": [1, 3]})) == (0.0, math.inf)
    assert hard_limits(Param.from_entry("x", {"loguniform": [1e-3, 1]})) == (-math.inf, math.inf)


def test_spec_rounds_expand_reaches_the_round_planner() -> None:
    from search_spaces import parse_spec
    from sweep.run.rounds import zoomed_space

    spec = parse_spec({"rounds": {"count": 2, "expand": True}, "space": {"lr": {"loguniform": [1e-6, 1e-4]}}})
    results = [({"lr": 9.4e-5}, 0.57), ({"lr": 8e-5}, 0.5), ({"lr": 2e-6}, 0.1), ({"lr": 3e-6}, 0.1)]
    assert zoomed_space(spec.space, spec.space, results, spec)["lr"].high == pytest.approx(1e-2)
    plain = spec.replace(rounds=spec.rounds.__class__(count=2))
    assert zoomed_space(spec.space, spec.space, results, plain)["lr"].high == 1e-4


def test_expand_follows_a_trend_toward_a_bound_even_when_few_trials_sit_near_it() -> None:
    # A real digits sweep of lr in [1e-5, 1e-3]: the best trial is the highest lr sampled, the metric climbs
    # with lr, but only one of the top three lies within 20% of the bound in log10.
    space = Space.from_dict({"lr": {"loguniform": [1e-5, 1e-3]}})
    lrs = [4e-4, 2.95e-4, 1.46e-4, 9.1e-5, 7.3e-5, 3e-5, 2.1e-5, 1.7e-5, 1.5e-5, 1.5e-5]
    results = [({"lr": lr}, 0.167 + 30 * lr) for lr in lrs]
    assert crowded_edge(space["lr"], lrs[:3]) is None
    new = zoom(space, space, results, "max", 0.25, 0.1, expand=True)
    assert new["lr"].high == pytest.approx(0.1)
    flat = [({"lr": lr}, 0.5) for lr in lrs]  # no trend: a plain zoom, inside the bounds
    assert zoom(space, space, flat, "max", 0.25, 0.1, expand=True)["lr"].high <= 1e-3
    assert trend_rho(space["lr"], lrs, [0.167 + 30 * lr for lr in lrs]) == 1.0
    assert math.isnan(trend_rho(space["lr"], lrs[:5], [1.0] * 5))  # too few trials


def test_a_round_after_an_expansion_zooms_inside_the_expanded_range() -> None:
    base = Space.from_dict({"lr": {"loguniform": [1e-6, 1e-4]}})
    expanded = Space.from_dict({"lr": {"loguniform": [2e-5, 1e-2]}})  # what round 2 sampled
    results = [({"lr": lr}, -abs(math.log10(lr) + 3)) for lr in (1e-3, 1.5e-3, 7e-4, 5e-5, 3e-5, 1e-4, 8e-3, 3e-4)]
    new = zoom(expanded, base, results, "max", 0.25, 0.1, expand=True)
    low, high = new["lr"].bounds()
    assert 1e-4 < low < 1e-3 < high < 1e-2  # zoomed on 1e-3, not clipped back to the first round's [1e-6, 1e-4]
    assert zoom(expanded, base, results, "max", 0.25, 0.1)["lr"].high <= 1e-4  # without expand: the old bounds


def test_expand_never_takes_a_positive_range_to_zero() -> None:
    space = Space.from_dict({"keep_prob": {"uniform": [0.5, 1.0]}, "units": {"int": [4, 64]}})
    results = [({"keep_prob": p, "units": u}, -p - u / 100) for p, u in ((0.5, 4), (0.52, 5), (0.9, 60), (0.95, 64))]
    new = zoom(space, space, results, "max", 0.5, 0.1, expand=True)
    assert new["keep_prob"].low == 0.25 and new["units"].low == 2  # halved toward 0 (keep_prob must stay > 0)
