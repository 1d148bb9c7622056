"""The built-in `mlp` trainable: a Ray Tune function trainable plus test-set evaluation helpers.

:func:`train` is what Ray Tune runs in each trial; :func:`train_and_test` trains one config in the current
process and scores it once on the test split (``sweep train``, and the orchestrator's final evaluation of
the winning config). The test split is never touched while training or tuning.

Example:
    >>> from ray import tune
    >>> tuner = tune.Tuner(train, param_space={"lr": tune.loguniform(1e-3, 1e-1)})  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from trainables.checkpoint import check_compatible
from trainables.config import resolve_config
from trainables.data import load_dataset
from trainables.loop import TrainingOutcome, evaluate, run_training
from trainables.model import build_model
from trainables.session import (
    LocalSession,
    ReportPolicy,
    Session,
    TuneSession,
    pick_threads_and_device,
    ray_resources,
)


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
    resolved = resolve_config(config)
    threads, device = pick_threads_and_device(resolved["threads"], ray_resources())
    if threads is not None:
        torch.set_num_threads(threads)
    run_training(config, TuneSession(reporting, last_epoch=resolved["epochs"]), device=device)


def evaluate_test(config: Mapping[str, Any], state: Mapping[str, Any], *, device: str = "cpu") -> dict[str, float]:
    """Score a trained model's checkpoint state on the TEST split.

    Args:
        config: The trial's config (data, split and architecture keys must match the training run's).
        state: A checkpoint state dict (:attr:`TrainingOutcome.final_state` or a loaded ``state.pt``).
        device: Where to evaluate.

    Returns:
        ``{"test_loss": ..., "test_accuracy": ...}``.

    Example:
        >>> outcome = run_training({"epochs": 2}, LocalSession())
        >>> sorted(evaluate_test({"epochs": 2}, outcome.final_state))
        ['test_accuracy', 'test_loss']
    """
    cfg = resolve_config(config)
    check_compatible(state.get("config", {}), cfg)
    data = load_dataset(cfg["data"], label=cfg["label"], split=cfg["split"], split_seed=cfg["split_seed"])
    model = build_model(cfg, data.n_features, data.n_classes).to(device)
    model.load_state_dict(state["model"])
    if len(data.y_test) == 0:
        return {"test_loss": math.nan, "test_accuracy": math.nan}  # split with no test share
    loss, accuracy = evaluate(model, data.x_test.to(device), data.y_test.to(device))
    return {"test_loss": loss, "test_accuracy": accuracy}


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
    outcome: TrainingOutcome = run_training(config, session or LocalSession(), device=device)
    summary: dict[str, Any] = dict(outcome.history[-1]) if outcome.history else {}
    if outcome.diverged:
        summary.update(test_loss=math.inf, test_accuracy=0.0)
    else:
        summary.update(evaluate_test(config, outcome.final_state, device=device))
    summary.update(stopped_epoch=outcome.stopped_epoch, diverged=outcome.diverged)
    return summary
