"""Trainables for `sweep`: the built-in `mlp` (a Ray Tune function trainable) and its building blocks.

Importing this package does not import Ray; only :class:`TuneSession` does, when used.

Example:
    >>> from trainables import train_and_test
    >>> train_and_test({"epochs": 2, "hidden_units": 16})["stopped_epoch"]
    2
"""

from __future__ import annotations

from trainables.config import DEFAULTS, NUDGEABLE, ConfigError, resolve_config, validate_update
from trainables.data import DataError, Splits, load_dataset
from trainables.loop import TrainingOutcome, run_training
from trainables.mlp import evaluate_test, train, train_and_test
from trainables.model import build_model
from trainables.optim import build_optimizer, lr_at
from trainables.registry import resolve_callable, resolve_train_and_test, resolve_trainable
from trainables.session import LocalSession, Session, TuneSession

__all__ = [
    "DEFAULTS",
    "NUDGEABLE",
    "ConfigError",
    "DataError",
    "LocalSession",
    "Session",
    "Splits",
    "TrainingOutcome",
    "TuneSession",
    "build_model",
    "build_optimizer",
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
