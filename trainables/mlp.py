"""The built-in `mlp` trainable: a Ray Tune function trainable plus test-set evaluation helpers.

:func:`train` is what Ray Tune runs in each trial; :func:`train_and_test` trains one config in the current
process and scores it once on the test split (``sweep train``, and the orchestrator's final evaluation of
the winning config). The test split is never touched while training or tuning. The model is
:mod:`trainables.model`'s; the loop and entry points are shared with every built-in
(:mod:`trainables.entrypoints`); :data:`BUILTIN` is the record the registry lists.

Example:
    >>> from ray import tune
    >>> tuner = tune.Tuner(train, param_space={"lr": tune.loguniform(1e-3, 1e-1)})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainables import entrypoints
from trainables.builtin import BuiltinTrainable
from trainables.model import MLP_FAMILY
from trainables.session import ReportPolicy, Session


def train(config: dict, reporting: ReportPolicy | None = None) -> None:
    """Ray Tune function trainable: train the MLP, report each epoch, checkpoint, resume from checkpoints.

    Uses the trial's CPU allotment as torch's thread count (unless config ``threads`` is set) and the GPU
    when one is assigned to the trial. Reports every epoch unless `reporting` (passed by an orchestrator
    through ``tune.with_parameters``) batches them.

    Example:
        >>> from ray import tune
        >>> tune.Tuner(tune.with_resources(train, {"cpu": 1}),
        ...            param_space={"lr": tune.loguniform(1e-3, 0.3), "epochs": 10}).fit()  # doctest: +SKIP
    """
    entrypoints.tune_train(MLP_FAMILY, config, reporting)


def evaluate_test(config: Mapping[str, Any], state: Mapping[str, Any], *, device: str = "cpu") -> dict[str, float]:
    """Score a trained MLP's checkpoint state on the TEST split.

    Args:
        config: The trial's config (data, split and architecture keys must match the training run's).
        state: A checkpoint state dict (:attr:`TrainingOutcome.final_state` or a loaded ``state.pt``).
        device: Where to evaluate.

    Returns:
        ``{"test_loss": ..., "test_accuracy": ...}``.

    Example:
        >>> from trainables.loop import run_training
        >>> from trainables.session import LocalSession
        >>> outcome = run_training({"epochs": 2}, LocalSession())
        >>> sorted(evaluate_test({"epochs": 2}, outcome.final_state))
        ['test_accuracy', 'test_loss']
    """
    return entrypoints.evaluate_checkpoint(MLP_FAMILY, config, state, device=device)


def train_and_test(config: Mapping[str, Any], session: Session | None = None, *, device: str = "cpu") -> dict[str, Any]:
    """Train one config in this process, then evaluate it once on the test split.

    Args:
        config: The config to train (unknown keys are ignored).
        session: Where epochs are reported; a fresh :class:`LocalSession` when None.
        device: ``cpu`` or ``cuda``.

    Returns:
        The last epoch's metrics plus ``test_loss``, ``test_accuracy`` and ``stopped_epoch``; a diverged run
        scores ``test_loss = inf`` and ``test_accuracy = 0.0``.

    Example:
        >>> result = train_and_test({"epochs": 3, "hidden_units": 16})
        >>> result["stopped_epoch"], 0.0 <= result["test_accuracy"] <= 1.0
        (3, True)
    """
    return entrypoints.train_and_test(MLP_FAMILY, config, session, device=device)


BUILTIN = BuiltinTrainable(MLP_FAMILY, train, train_and_test, evaluate_test)
