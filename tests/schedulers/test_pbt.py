"""PBT: the perturbation in each param's own coordinate (pure), and a small real population on Ray."""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest

from search_spaces import Param, Space, load_spec
from sweep import RunOptions, run_sweep
from sweep.schedulers.pbt_population import make_pbt, mutable_params, pbt_configs, perturb
from sweep.store import schema as S
from sweep.store.layout import PBT_CHANGES_FILE
from tests.conftest import tiny_spec


def _space(**entries) -> Space:
    return Space([Param.from_entry(name, entry) for name, entry in entries.items()])


def _outcomes(space: Space, config: dict, key: str, draws: int = 200) -> set:
    rng = random.Random(7)
    return {round(perturb(config, space, rng)[key], 12) for _ in range(draws)}


def test_beta_moves_multiplicatively_in_one_minus_beta():
    space = _space(momentum={"beta": [0.5, 0.999]})
    outcomes = _outcomes(space, {"momentum": 0.99}, "momentum")
    # Two outcomes, 1 − 0.01·0.8 and 1 − 0.01·1.2: multiplicative in 1 − β, never past 1.
    assert outcomes == {round(1 - 0.01 * 0.8, 12), round(1 - 0.01 * 1.2, 12)}
    assert all(b < 1 for b in outcomes)
    # Not additive in β (Ray's default ×0.8/×1.2 on β itself would give 0.792 / 1.188).
    assert all(abs(b - 0.99) < 0.01 for b in outcomes)
    steps = {round(math.log10(1 - b) - math.log10(0.01), 9) for b in outcomes}
    assert steps == {round(math.log10(0.8), 9), round(math.log10(1.2), 9)}


def test_loguniform_moves_in_log10_and_everything_stays_in_bounds():
    space = _space(
        lr={"loguniform": [1e-3, 0.1]},
        momentum={"beta": [0.5, 0.999]},
        keep_prob={"uniform": [0.5, 1.0]},
        batch_size={"pow2": [16, 256]},
        layers={"int": [1, 3]},
        hidden_units={"pow2": [16, 64]},
        activation={"choice": ["relu", "tanh"]},
        epochs=5,
    )
    assert _outcomes(space, {"lr": 0.01}, "lr") == {0.008, 0.012}
    assert _outcomes(space, {"batch_size": 64}, "batch_size") == {32, 128}
    rng = random.Random(3)
    config = {"lr": 0.1, "momentum": 0.999, "keep_prob": 1.0, "batch_size": 256, "activation": "relu",
              "layers": 2, "hidden_units": 32, "epochs": 5, "plan_id": "r1-000"}  # fmt: skip
    seen_activation = set()
    for _ in range(300):
        config = perturb(config, space, rng)
        assert 1e-3 <= config["lr"] <= 0.1 and 0.5 <= config["momentum"] <= 0.999 < 1
        assert 0.5 <= config["keep_prob"] <= 1.0 and config["batch_size"] in (16, 32, 64, 128, 256)
        seen_activation.add(config["activation"])
    assert seen_activation == {"relu", "tanh"}  # categoricals are resampled now and then
    # Structural keys and the budget are never perturbed (a checkpoint cannot change architecture).
    assert (config["layers"], config["hidden_units"], config["epochs"], config["plan_id"]) == (
        2,
        32,
        5,
        "r1-000",
    )
    assert {p.name for p in mutable_params(space)} == {
        "lr",
        "momentum",
        "keep_prob",
        "batch_size",
        "activation",
    }


def test_checkpoint_every_divides_the_interval_and_an_empty_space_is_refused():
    configs = pbt_configs([{}, {"checkpoint_every": 2}, {"checkpoint_every": 3}, {"checkpoint_every": 0}], 4)
    assert [c["checkpoint_every"] for c in configs] == [4, 2, 4, 4]
    spec = load_spec({"scheduler": {"type": "pbt"}, "space": {"hidden_units": {"pow2": [16, 64]}}})
    with pytest.raises(Exception, match="pbt perturbs tuned hyperparameters"):
        make_pbt(spec)


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.usefixtures("ray_instance")
def test_pbt_population_exploits_and_perturbs_in_the_right_coordinate(tmp_path):
    space = {**tiny_spec()["space"], "epochs": 8}
    space.pop("batch_size")
    spec = load_spec(
        tiny_spec(samples=4, seed=5, space=space,
                  scheduler={"type": "pbt", "perturbation_interval": 2, "quantile_fraction": 0.25})
    )  # fmt: skip
    result = run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True, final_test=False))

    trials, history = result.trials, result.history
    assert len(trials) == 4 and (trials[S.EPOCHS] == 8).all() and (trials["checkpoint_every"] == 2).all()
    changes = pd.read_csv(result.path / PBT_CHANGES_FILE)
    assert not changes.empty, "no trial exploited another"
    assert set(changes["param"]) == {"lr", "momentum"}
    assert (changes["plan_id"] != changes["donor_plan_id"]).all()
    assert (changes["donor_epoch"] % 2 == 0).all() and (changes["epoch"] % 2 == 0).all()
    for _, row in changes.iterrows():
        if row["param"] == "lr":  # ×0.8 or ×1.2 on α (or clipped at a bound)
            ratio = row["new"] / row["donor"]
            assert math.isclose(ratio, 0.8) or math.isclose(ratio, 1.2) or row["new"] in (1e-3, 1.0)
        else:  # ×0.8 or ×1.2 on 1 − β
            ratio = (1 - row["new"]) / (1 - row["donor"])
            assert math.isclose(ratio, 0.8) or math.isclose(ratio, 1.2) or row["new"] in (0.5, 0.99)
            assert row["new"] < 1
    # The clone continues from the donor's checkpoint with the new lr: the history shows the jump.
    lr_changes = changes[changes["param"] == "lr"]
    clones = history[history[S.PLAN_ID].isin(lr_changes["plan_id"])]
    assert any(any(math.isclose(lr, new) for new in lr_changes["new"]) for lr in clones["lr"])
    # Each trial keeps its own plan_id (one row each); its final config holds its last new value.
    assert trials[S.PLAN_ID].is_unique
    last = lr_changes.sort_values("explored_at").groupby("plan_id")["new"].last()
    final_lr = trials.set_index(S.PLAN_ID)["lr"]
    assert all(math.isclose(final_lr[plan], value) for plan, value in last.items())


class _Trial:
    """What Ray's PBT reads of a trial when it ranks the population."""

    def __init__(self, name: str, epochs: int) -> None:
        self.trial_id, self.experiment_tag, self.config = name, name, {"epochs": epochs, "lr": 0.1}

    def is_finished(self) -> bool:
        return False  # Ray has not yet seen the function return, even of a trial past its last epoch


def test_a_trial_that_reported_its_last_epoch_is_no_donor_and_no_clone():
    """Seen once under load: a slow trial was exploited at epoch 2 with a donor's checkpoint of epoch 8 of 8,
    reported by the donor a moment before Ray saw it finish; the clone had no epoch left and ended at once."""
    from ray.tune.schedulers.pbt import _PBTTrialState

    scheduler = make_pbt(load_spec(tiny_spec(scheduler={"type": "pbt", "quantile_fraction": 0.25})))
    population = {}
    for name, epoch, score in [("done", 8, 0.9), ("top", 4, 0.8), ("mid", 4, 0.6), ("slow", 2, 0.5), ("last", 8, 0.1)]:
        trial = _Trial(name, epochs=8)
        state = _PBTTrialState(trial)
        state.last_score, state.last_result = score, {"epoch": epoch, "training_iteration": epoch}
        population[trial] = state
    scheduler._trial_state = population
    lower, upper = scheduler._quantiles()
    assert [t.trial_id for t in upper] == ["top"] and [t.trial_id for t in lower] == ["slow"]
    assert scheduler._trial_state is population  # the whole population is kept for later rankings
