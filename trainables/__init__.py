"""Trainables for `sweep`: the built-ins `mlp` and `cnn1d` (Ray Tune function trainables) and their parts.

Every built-in is a model family trained by one shared epoch loop and described by one record
(:func:`builtin`); importing this package does not import Ray; only :class:`TuneSession` does, when used.

Example:
    >>> from trainables import train_and_test
    >>> train_and_test({"epochs": 2, "hidden_units": 16})["stopped_epoch"]
    2
"""

from __future__ import annotations

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
from trainables.session import LocalSession, Session, TuneSession

# Scores any built-in's checkpoint with the model the state holds (the mlp's, for states older than the tag).
evaluate_test = evaluate_checkpoint

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
