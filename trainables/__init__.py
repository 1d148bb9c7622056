"""Trainables for `sweep`: the built-ins `mlp` and `cnn1d` (Ray Tune function trainables) and their parts.

Every built-in is a model family trained by one shared epoch loop and described by one record
(:func:`builtin`); importing this package does not import Ray; only :class:`TuneSession` does, when used.

Example:
    >>> from trainables import train_and_test
    >>> train_and_test({"epochs": 2, "hidden_units": 16})["stopped_epoch"]
    2
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public name → its module. Imported when first used (PEP 562), so `import trainables.registry` or
# `trainables.config` (what `sweep validate` needs) does not import torch.
_HOME = {
    "BuiltinTrainable": "trainables.builtin",
    "ModelFamily": "trainables.builtin",
    "DEFAULTS": "trainables.config",
    "NUDGEABLE": "trainables.config",
    "ConfigError": "trainables.config",
    "resolve_config": "trainables.config",
    "validate_update": "trainables.config",
    "DataError": "trainables.data",
    "Splits": "trainables.data",
    "load_dataset": "trainables.data",
    "TrainingOutcome": "trainables.loop",
    "run_training": "trainables.loop",
    "train": "trainables.mlp",
    "train_and_test": "trainables.mlp",
    "build_model": "trainables.model",
    "build_optimizer": "trainables.optim",
    "lr_at": "trainables.optim",
    "builtin": "trainables.registry",
    "builtin_names": "trainables.registry",
    "evaluate_checkpoint": "trainables.registry",
    "resolve_callable": "trainables.registry",
    "resolve_train_and_test": "trainables.registry",
    "resolve_trainable": "trainables.registry",
    "LocalSession": "trainables.session",
    "Session": "trainables.session",
    "TuneSession": "trainables.session",
    # Scores any built-in's checkpoint with the model the state holds (the mlp's, for states older than the tag).
    "evaluate_test": "trainables.registry",
}

if TYPE_CHECKING:
    from trainables.builtin import BuiltinTrainable, ModelFamily
    from trainables.config import DEFAULTS, NUDGEABLE, ConfigError, resolve_config, validate_update
    from trainables.data import DataError, Splits, load_dataset
    from trainables.loop import TrainingOutcome, run_training
    from trainables.mlp import train, train_and_test
    from trainables.model import build_model
    from trainables.optim import build_optimizer, lr_at
    from trainables.registry import (
        builtin,
        builtin_names,
        evaluate_checkpoint,
        resolve_callable,
        resolve_train_and_test,
        resolve_trainable,
    )
    from trainables.registry import evaluate_checkpoint as evaluate_test
    from trainables.session import LocalSession, Session, TuneSession


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'trainables' has no attribute {name!r}")
    attribute = "evaluate_checkpoint" if name == "evaluate_test" else name
    value = getattr(importlib.import_module(_HOME[name]), attribute)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULTS",
    "NUDGEABLE",
    "BuiltinTrainable",
    "ConfigError",
    "DataError",
    "LocalSession",
    "ModelFamily",
    "Session",
    "Splits",
    "TrainingOutcome",
    "TuneSession",
    "build_model",
    "build_optimizer",
    "builtin",
    "builtin_names",
    "evaluate_checkpoint",
    "evaluate_test",
    "load_dataset",
    "lr_at",
    "resolve_callable",
    "resolve_config",
    "resolve_train_and_test",
    "resolve_trainable",
    "run_training",
    "train",
    "train_and_test",
    "validate_update",
]
