"""The `mlp` trainable's config keys: their defaults and the rules that validate them.

Other built-ins extend this declaration (``trainables.cnn1d``), so the course's optimiser and
regularisation knobs mean one thing everywhere; :mod:`trainables.keys` has the rule and declaration types.
A trial's config is whatever the orchestrator sampled plus its own bookkeeping keys, so unknown keys are
ignored; a known key with a wrong value raises :class:`ConfigError` naming the key, the rule and the fix.

Example:
    >>> cfg = resolve_config({"lr": 0.1, "trial_note": "ignored"})
    >>> cfg["lr"], cfg["optimizer"], "trial_note" in cfg
    (0.1, 'momentum', False)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from trainables.keys import ConfigError, Declaration, KeyRule, with_examples  # ConfigError: its old address

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
INITS = ("he", "xavier", "default")
SCHEDULES = ("none", "inverse_time", "exponential", "inverse_sqrt", "step")

DEFAULTS: dict[str, Any] = {
    # architecture
    "layers": 1,  # hidden layers; 0 = softmax regression
    "hidden_units": 64,
    "activation": "relu",
    "init": "he",
    "batch_norm": False,
    # regularisation
    "l2": 0.0,  # λ: weight_decay on weight matrices only (gradient of λ/2·Σ‖W‖²)
    "keep_prob": 1.0,  # inverted dropout keeps each hidden unit with this probability; 1.0 = off
    # optimisation
    "optimizer": "momentum",
    "lr": 0.05,
    "momentum": 0.9,  # β of `momentum`: v = β·v + (1−β)·dW (Ng's form)
    "beta1": 0.9,  # Adam's first-moment decay
    "beta2": 0.999,  # Adam's second-moment decay, and RMSprop's decay (torch `alpha`)
    "eps": 1e-8,
    "batch_size": 64,  # 0 or ≥ training-set size = batch gradient descent
    # learning-rate decay
    "lr_decay": "none",
    "decay_rate": 0.1,
    # run
    "epochs": 30,
    "seed": 0,
    "data": "digits",
    "label": "label",
    "split": [0.6, 0.2, 0.2],
    "split_seed": 0,
    "checkpoint_every": 1,
    "threads": None,
}

# Hyperparameters that may change at an epoch boundary without rebuilding the model ("nudges", PBT).
NUDGEABLE = ("lr", "momentum", "beta1", "beta2", "eps", "l2", "keep_prob", "lr_decay", "decay_rate")

# Keys a checkpoint's model/optimizer tensors depend on: restoring under different values cannot work.
STRUCTURAL = ("layers", "hidden_units", "batch_norm", "optimizer")


def resolve_config(config: Mapping[str, Any], declared: Declaration | None = None) -> dict[str, Any]:
    """Merge `config` over the trainable's defaults, validate every known key and drop unknown ones.

    Args:
        config: A trial's config; keys the trainable does not know are ignored.
        declared: The trainable's declaration (default: the mlp's, :data:`MLP`).

    Returns:
        A new dict with exactly the declared keys, values normalised (ints, floats, a list split).

    Raises:
        ConfigError: A known key has a value the trainable cannot use.

    Example:
        >>> resolve_config({"optimizer": "adam"})["optimizer"]
        'adam'
    """
    declared = declared or MLP
    cfg = {key: declared.keys[key](key, config.get(key, default)) for key, default in declared.defaults.items()}
    declared.check_combination(cfg)
    return cfg


def check_combination(cfg: Mapping[str, Any]) -> None:
    """Rules that involve two keys (raise ConfigError)."""
    if cfg["lr_decay"] in ("exponential", "step") and not 0.0 < cfg["decay_rate"] <= 1.0:
        raise ConfigError(
            f"config.decay_rate: {cfg['decay_rate']!r} must be in (0, 1] for lr_decay={cfg['lr_decay']} "
            "(the lr is multiplied by it): set e.g. decay_rate=0.95"
        )


def validate_update(key: str, value: Any, cfg: Mapping[str, Any], declared: Declaration | None = None) -> Any:
    """Validate a mid-training change of `key` against the config in force; return the normalised value."""
    declared = declared or MLP
    if key not in declared.nudgeable:
        allowed = ", ".join(declared.nudgeable)
        raise ConfigError(f"config.{key}: cannot change during training: change one of {allowed}")
    new = declared.keys[key](key, value)
    declared.check_combination({**cfg, key: new})
    return new


# --- the mlp's declaration: one rule per key, readable by a validator ----------------------------------
# `sensible_*`: what a practitioner would try (advice never widens past it): α ≤ 1 for the SGD family (and
# above what adaptive methods want), β at most 0.9999 (an average over 10,000 steps), a net of at most
# 4,096 units and 16 hidden layers here.
_RULES = {
    "layers": KeyRule("int", low=0, sensible_high=16),
    "hidden_units": KeyRule("int", low=1, sensible_high=4096),
    "activation": KeyRule("choice", choices=ACTIVATIONS, what="activation"),
    "init": KeyRule("choice", choices=INITS, what="init"),
    "batch_norm": KeyRule("bool"),
    "l2": KeyRule("float", 0.0, math.inf, sensible_high=1.0),
    "keep_prob": KeyRule("float", 0.0, 1.0, low_open=True),
    "optimizer": KeyRule("choice", choices=OPTIMIZERS, what="optimizer"),
    "lr": KeyRule("float", 0.0, math.inf, low_open=True, sensible_low=1e-7, sensible_high=1.0),
    "momentum": KeyRule("float", 0.0, 1.0, high_open=True, sensible_high=0.9999),
    "beta1": KeyRule("float", 0.0, 1.0, high_open=True, sensible_high=0.9999),
    "beta2": KeyRule("float", 0.0, 1.0, high_open=True, sensible_high=0.99999),
    "eps": KeyRule("float", 0.0, math.inf, low_open=True, sensible_low=1e-12, sensible_high=1.0),
    "batch_size": KeyRule("int", low=0, sensible_high=65536),
    "lr_decay": KeyRule("choice", choices=SCHEDULES, what="lr_decay schedule"),
    "decay_rate": KeyRule("float", 0.0, math.inf, sensible_high=10.0),
    "epochs": KeyRule("int", low=1, sensible_high=10000),
    "seed": KeyRule("int"),
    "data": KeyRule("text"),
    "label": KeyRule("text"),
    "split": KeyRule("split"),
    "split_seed": KeyRule("int"),
    "checkpoint_every": KeyRule("int", low=0),
    "threads": KeyRule("optional_int", low=1),
}

# What the mlp reports every epoch (see trainables.loop); any of the numeric ones can rank a sweep.
METRICS = ("dev_accuracy", "dev_loss", "train_accuracy", "train_loss", "lr", "train_seconds", "epoch")

# Keys that act only under another key's values: advice judges them on the trials where they acted.
ACTS_WHEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "decay_rate": ("lr_decay", ("inverse_time", "exponential", "step")),
    "momentum": ("optimizer", ("momentum",)),
    "beta1": ("optimizer", ("adam",)),
    "beta2": ("optimizer", ("adam", "rmsprop")),
    "eps": ("optimizer", ("adam", "rmsprop")),
}

MLP = Declaration(
    "mlp", with_examples(_RULES, DEFAULTS), DEFAULTS, METRICS, check_combination, STRUCTURAL, NUDGEABLE, ACTS_WHEN
)
