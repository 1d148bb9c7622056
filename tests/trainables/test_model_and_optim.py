"""Config validation, the MLP's layers and modes, optimizers' hyperparameters and the lr schedules."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from trainables.config import ConfigError, resolve_config, validate_update
from trainables.model import build_model, weight_matrices
from trainables.optim import apply_hyperparams, build_optimizer, lr_at
from trainables.registry import resolve_callable, resolve_train_and_test, resolve_trainable
from trainables.session import pick_threads_and_device

torch.set_num_threads(1)


# --- config ------------------------------------------------------------------------------------------


def test_unknown_keys_ignored_and_numbers_normalised() -> None:
    cfg = resolve_config({"hidden_units": 32.0, "lr": 1, "trial_id": "abc"})
    assert cfg["hidden_units"] == 32 and isinstance(cfg["hidden_units"], int)
    assert cfg["lr"] == 1.0 and "trial_id" not in cfg


def test_unknown_optimizer_message() -> None:
    with pytest.raises(ConfigError) as err:
        resolve_config({"optimizer": "adamw"})
    assert str(err.value) == "config.optimizer: unknown optimizer 'adamw' (choose sgd, momentum, rmsprop, adam)"


@pytest.mark.parametrize(
    "bad",
    [
        {"lr": 0},
        {"lr": float("nan")},
        {"keep_prob": 0.0},
        {"momentum": 1.0},
        {"hidden_units": 2.5},
        {"layers": -1},
        {"batch_norm": "yes"},
        {"lr_decay": "exponential", "decay_rate": 1.5},
        {"split": [0.5, 0.5]},
        {"threads": 0},
    ],
)
def test_bad_values_rejected(bad: dict) -> None:
    key = next(iter(bad))
    with pytest.raises(ConfigError, match=rf"^config\.({key}|decay_rate):"):
        resolve_config(bad)


def test_update_rules() -> None:
    cfg = resolve_config({})
    assert validate_update("lr", 0.01, cfg) == 0.01
    with pytest.raises(ConfigError, match="cannot change during training"):
        validate_update("layers", 2, cfg)
    with pytest.raises(ConfigError, match="decay_rate"):
        validate_update("lr_decay", "exponential", {**cfg, "decay_rate": 2.0})


# --- lr schedules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "epoch", "expected"),
    [
        ("none", 7, 0.2),
        ("inverse_time", 3, 0.2 / (1 + 0.5 * 3)),
        ("exponential", 3, 0.2 * 0.5**3),
        ("inverse_sqrt", 3, 0.2 / 2.0),
        ("step", 9, 0.2),
        ("step", 10, 0.1),
        ("step", 25, 0.05),
    ],
)
def test_lr_at_formulas(schedule: str, epoch: int, expected: float) -> None:
    assert lr_at(0.2, schedule, 0.5, epoch) == pytest.approx(expected, rel=1e-12)
    assert lr_at(0.2, schedule, 0.5, 0) == pytest.approx(0.2)  # epoch 0 always uses the base lr


# --- model -------------------------------------------------------------------------------------------


def _model(**overrides) -> nn.Sequential:
    torch.manual_seed(0)
    return build_model(resolve_config(overrides), n_features=20, n_classes=3)


def test_softmax_regression_and_depth() -> None:
    assert [type(m) for m in _model(layers=0)] == [nn.Linear]
    assert sum(isinstance(m, nn.Linear) for m in _model(layers=3)) == 4


def test_batch_norm_drops_hidden_bias_and_uses_running_stats_at_eval() -> None:
    model = _model(batch_norm=True, layers=2)
    hidden = [m for m in model if isinstance(m, nn.Linear)][:-1]
    assert all(m.bias is None for m in hidden) and sum(isinstance(m, nn.BatchNorm1d) for m in model) == 2
    model.train()
    model(torch.randn(64, 20) * 3 + 1)  # move the running statistics away from their initial values
    model.eval()
    x = torch.randn(8, 20)
    alone = model(x[:1])
    with_others = model(torch.cat([x[:1], torch.randn(7, 20) * 10]))[:1]
    assert torch.allclose(alone, with_others, atol=1e-6)
    model.train()
    assert not torch.allclose(model(x)[:1], model(torch.cat([x[:1], x[1:] * 10]))[:1])


def test_dropout_only_in_training() -> None:
    model, x = _model(keep_prob=0.5), torch.randn(16, 20)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))


@pytest.mark.parametrize(("init", "std"), [("he", math.sqrt(2 / 400)), ("xavier", math.sqrt(2 / 800))])
def test_initialisation_scale(init: str, std: float) -> None:
    torch.manual_seed(0)
    model = build_model(resolve_config({"init": init, "hidden_units": 400}), n_features=400, n_classes=2)
    first = model[0]
    assert isinstance(first, nn.Linear)
    assert first.weight.std().item() == pytest.approx(std, rel=0.05)
    assert first.bias is not None and torch.count_nonzero(first.bias) == 0


# --- optimizers --------------------------------------------------------------------------------------


def test_l2_applies_to_weight_matrices_only() -> None:
    model = _model(batch_norm=True)
    optimizer = build_optimizer(model, resolve_config({"l2": 0.1}))
    decayed = [g for g in optimizer.param_groups if g["weight_decay"] == 0.1]
    assert len(decayed) == 1 and {id(p) for p in decayed[0]["params"]} == {id(w) for w in weight_matrices(model)}


@pytest.mark.parametrize(
    ("name", "kind", "check"),
    [
        ("sgd", torch.optim.SGD, lambda g: g["momentum"] == 0),
        ("momentum", torch.optim.SGD, lambda g: g["momentum"] == g["dampening"] == 0.8),
        ("rmsprop", torch.optim.RMSprop, lambda g: g["alpha"] == 0.99 and g["eps"] == 1e-6),
        ("adam", torch.optim.Adam, lambda g: g["betas"] == (0.8, 0.99) and g["eps"] == 1e-6),
    ],
)
def test_optimizer_hyperparameters(name: str, kind: type, check) -> None:
    cfg = resolve_config({"optimizer": name, "momentum": 0.8, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6})
    optimizer = build_optimizer(_model(), cfg)
    assert isinstance(optimizer, kind) and all(check(g) for g in optimizer.param_groups)
    apply_hyperparams(optimizer, cfg, lr=0.123)
    assert all(g["lr"] == 0.123 for g in optimizer.param_groups)


# --- registry and resources --------------------------------------------------------------------------


def test_registry() -> None:
    assert resolve_trainable("mlp").__module__ == "trainables.mlp"
    assert resolve_train_and_test("mlp") is resolve_callable("trainables.mlp:train_and_test")
    assert resolve_train_and_test("mypkg:train") is None
    for bad, message in [
        ("nope", "not a built-in"),
        ("no_such_mod:f", "cannot import"),
        ("math:nope", "no 'nope'"),
    ]:
        with pytest.raises(ConfigError, match=message):
            resolve_trainable(bad)


def test_threads_and_device_from_ray_resources() -> None:
    assert pick_threads_and_device(None, {}) == (None, "cpu")
    assert pick_threads_and_device(None, {"CPU": 0.5}) == (1, "cpu")
    assert pick_threads_and_device(3, {"CPU": 2.0}) == (3, "cpu")
    assert pick_threads_and_device(None, {"CPU": 4.0, "GPU": 1.0})[1] == (
        "cuda" if torch.cuda.is_available() else "cpu"
    )
