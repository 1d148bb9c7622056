"""The fine stage's model: its encoding, its acquisition, and what it buys on a bowl with a known optimum."""

from __future__ import annotations

import math
import statistics

import numpy as np

from search_spaces import Space
from search_spaces.surrogate import Surrogate, local_draws, upper_confidence_bound, warp
from sweep import Planner

SPACE = {"lr": {"loguniform": [1e-5, 1]}, "batch_size": {"pow2": [4, 1024]}, "momentum": {"beta": [0.5, 0.9999]}}


def bowl(config: dict) -> float:
    """Highest (0) at lr 10^-1.3, batch 2^4 and β = 0.99 (away from the baseline, the ranges' middles): a
    quadratic bowl in log10 α × log2 batch size × log10(1 − β)."""
    return (
        -((math.log10(config["lr"]) + 1.3) ** 2)
        - 0.05 * (math.log2(config["batch_size"]) - 4) ** 2
        - 0.5 * (math.log10(1 - config["momentum"]) + 2) ** 2
    )


def regret_of_incumbent(spec: dict, seed: int, noise: float = 0.05) -> float:
    """Runs the plan with noisy readings; the regret of the config with the best reading, without noise."""
    rng = np.random.default_rng(seed)
    planner = Planner({**spec, "seed": seed, "space": SPACE})
    best_seen, incumbent = -math.inf, None
    while (config := planner.ask()) is not None:
        reading = bowl(config) + noise * float(rng.standard_normal())
        planner.tell(config, reading)
        if reading > best_seen:
            best_seen, incumbent = reading, config
    assert incumbent is not None
    return -bowl(incumbent)


def test_the_model_guided_recipe_at_60_evaluations_beats_random_search_at_200():
    seeds = range(7)
    guided = [regret_of_incumbent({"samples": 20, "rounds": 3}, s) for s in seeds]
    random = [regret_of_incumbent({"samples": 200, "rounds": {"count": 1, "model": "none"}}, s) for s in seeds]
    assert statistics.median(guided) < statistics.median(random), (guided, random)


def test_each_parameter_is_encoded_in_its_own_coordinate_over_the_base_bounds():
    space = Space.from_dict({**SPACE, "act": {"choice": ["relu", "tanh"]}, "epochs": 5})
    model = Surrogate(space, "max")
    configs = [{"lr": 1e-5, "batch_size": 32, "momentum": 0.99, "act": "tanh"},
               {"lr": 10**-2.5, "batch_size": 1024, "momentum": 0.5, "act": "relu"}]  # fmt: skip
    rows = model.encode(configs)
    assert model.columns() == 5 and rows.shape == (2, 5)
    # log2(32) = 5 of [2, 10]; log10(1 − 0.99) = −2 of [−4, log10 0.5]; one column per choice
    assert np.allclose(rows[0], [0.0, 3 / 8, 2 / (4 + math.log10(0.5)), 0.0, 1.0])
    assert np.allclose(rows[1], [0.5, 1.0, 1.0, 1.0, 0.0])


def test_the_acquisition_rewards_a_higher_mean_and_more_doubt_and_the_warp_keeps_only_ranks():
    ucb = upper_confidence_bound(np.array([0.0, 0.5, 0.0]), np.array([0.1, 0.1, 1.0]))
    assert ucb[1] > ucb[0] and ucb[2] > ucb[1]
    assert np.allclose(warp(np.array([0.9, 0.1, 0.91])), warp(np.array([0.9, -50.0, 0.95])))


def test_local_draws_stay_inside_the_space_and_near_their_centres():
    space = Space.from_dict({**SPACE, "act": {"choice": ["relu", "tanh"]}, "epochs": 5})
    draws = local_draws(space, [{"lr": 1e-3, "batch_size": 64, "momentum": 0.9, "act": "tanh"}], 200, seed=1)
    assert all(space[k].contains(d[k]) for d in draws for k in ("lr", "batch_size", "momentum", "act"))
    assert all(d["epochs"] == 5 for d in draws)
    assert 1e-4 < statistics.median(d["lr"] for d in draws) < 1e-2
    assert 0.6 < sum(d["act"] == "tanh" for d in draws) / 200 < 0.98


def _local_draws_one_by_one(space: Space, centres: list, count: int, seed: int, scale: float = 0.1) -> list:
    """local_draws as first written, a step at a time: what the batched draws must reproduce bit for bit."""
    from search_spaces import sample_configs

    rng = np.random.default_rng(seed)
    draws = sample_configs(space, count, "random", seed)
    for i, draw in enumerate(draws):
        centre = centres[i % len(centres)]
        for param in space.tuned():
            value = centre.get(param.name)
            if value is None or param.is_grid:
                continue
            if param.is_numeric:
                lo, hi = param.coord_bounds()
                step = float(rng.normal(0.0, scale * (hi - lo)))
                draw[param.name] = param.from_coord(min(max(float(param.coord(value)) + step, lo), hi))
            elif param.contains(value) and rng.random() < 0.8:
                draw[param.name] = value
    return draws


def test_local_draws_are_the_steps_drawn_one_by_one_with_or_without_choices():
    numeric = Space.from_dict({**SPACE, "layers": {"int": [1, 4]}, "epochs": 5})
    centres = [{"lr": 1e-3, "batch_size": 64, "momentum": 0.9, "layers": 2}, {"lr": 0.1, "momentum": 0.6}]
    with_choice = Space.from_dict({**SPACE, "act": {"choice": ["relu", "tanh"]}})
    for space, seed in ((numeric, 3), (with_choice, 4)):
        centred = [{**c, "act": "tanh"} for c in centres] if "act" in space else centres
        expected = _local_draws_one_by_one(space, centred, 50, seed)
        assert repr(local_draws(space, centred, 50, seed)) == repr(expected)


def test_the_warp_is_scipys_normal_quantile_of_the_average_ranks():
    from scipy.stats import norm, rankdata

    rng = np.random.default_rng(0)
    for values in (rng.random(40), rng.integers(0, 5, 40).astype(float), np.array([0.3]), np.array([1.0, 1.0])):
        expected = np.asarray(norm.ppf((rankdata(values) - 0.5) / len(values)))
        assert warp(values).tobytes() == expected.tobytes()


def test_with_too_few_results_the_first_candidate_is_taken_as_drawn():
    model = Surrogate(Space.from_dict(SPACE), "min")
    candidates = [{"lr": 0.1, "batch_size": 8}, {"lr": 0.001, "batch_size": 64}]
    assert model.choose([(candidates[1], 0.1)], [], candidates) == candidates[0] and model.kernel is None


def test_the_exploration_weight_trades_the_mean_against_the_doubt():
    space = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}})
    seen = [({"lr": 10.0**e}, -((e + 2.0) ** 2)) for e in (-4, -3.5, -3, -2.5, -2, -1.5)]
    near, far = {"lr": 10.0**-2.2}, {"lr": 1.0}  # next to the best reading, and where nothing was seen
    picks = [Surrogate(space, "max").choose(seen, [], [near, far], exploration=w) for w in (0.0, 50.0)]
    assert picks == [near, far]


def test_with_batch_warmup_the_model_waits_for_more_results_than_trials_in_flight():
    model = Surrogate(Space.from_dict(SPACE), "max")
    seen = [({"lr": 10.0**-e, "batch_size": 2**e, "momentum": 0.9}, -float(e)) for e in range(2, 8)]  # 6 results
    running = [{"lr": 0.01, "batch_size": 32, "momentum": 0.9}] * 7
    candidates = [{"lr": 1.0, "batch_size": 1024, "momentum": 0.5}, {"lr": 10.0**-2, "batch_size": 4, "momentum": 0.9}]
    assert model.choose(seen, running, candidates) == candidates[1]  # the model chooses, 7 trials in flight or not
    assert model.choose(seen, running, candidates, batch_warmup=True) == candidates[0]  # taken as drawn
    assert model.choose(seen, running[:4], candidates, batch_warmup=True) == candidates[1]
