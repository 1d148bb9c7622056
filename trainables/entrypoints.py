"""The entry points every built-in shares, for any model family: Ray trial, test-set scoring, train-and-test.

A built-in's module wraps these in module-level functions (Ray pickles a trainable by reference, and
``sweep`` imports ``trainables.<name>:train``), so adding a model is a family plus three one-line wrappers.
The test split is never touched while training or tuning: only :func:`evaluate_checkpoint` reads it.

Example:
    >>> from trainables.model import MLP_FAMILY
    >>> train_and_test(MLP_FAMILY, {"epochs": 1, "hidden_units": 8})["stopped_epoch"]
    1
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from trainables.builtin import ModelFamily
from trainables.checkpoint import check_state
from trainables.data import load_dataset
from trainables.loop import TrainingOutcome, evaluate, run_training
from trainables.session import (
    LocalSession,
    ReportPolicy,
    Session,
    TuneSession,
    pick_threads_and_device,
    ray_resources,
)


def tune_train(family: ModelFamily, config: dict, reporting: ReportPolicy | None = None) -> None:
    """Run `family`'s model as a Ray Tune trial: report each epoch, checkpoint, resume from checkpoints.

    Uses the trial's CPU allotment as torch's thread count (unless config ``threads`` is set) and the GPU
    when one is assigned to the trial. Reports every epoch unless `reporting` (passed by an orchestrator
    through ``tune.with_parameters``) batches them.
    """
    resolved = family.resolve(config)
    threads, device = pick_threads_and_device(resolved["threads"], ray_resources())
    if threads is not None:
        torch.set_num_threads(threads)
    run_training(config, TuneSession(reporting, last_epoch=resolved["epochs"]), device=device, family=family)


def evaluate_checkpoint(
    family: ModelFamily, config: Mapping[str, Any], state: Mapping[str, Any], *, device: str = "cpu"
) -> dict[str, float]:
    """Score a checkpoint state of `family`'s model on the TEST split.

    Args:
        family: The model family that trained the state (checked against the state's ``trainable``).
        config: The trial's config (data, split and architecture keys must match the training run's).
        state: A checkpoint state dict (:attr:`TrainingOutcome.final_state` or a loaded ``state.pt``).
        device: Where to evaluate.

    Returns:
        ``{"test_loss": ..., "test_accuracy": ...}`` (NaN for a split with no test share).

    Raises:
        ConfigError: The state holds another trainable's model or another architecture.
    """
    cfg = family.resolve(config)
    check_state(state, cfg, family.name, family.declaration.architecture)
    data = load_dataset(cfg["data"], label=cfg["label"], split=cfg["split"], split_seed=cfg["split_seed"])
    model = family.build_model(cfg, data.n_features, data.n_classes).to(device)
    model.load_state_dict(state["model"])
    if len(data.y_test) == 0:
        return {"test_loss": math.nan, "test_accuracy": math.nan}
    loss, accuracy = evaluate(model, data.x_test.to(device), data.y_test.to(device))
    return {"test_loss": loss, "test_accuracy": accuracy}


def train_and_test(
    family: ModelFamily, config: Mapping[str, Any], session: Session | None = None, *, device: str = "cpu"
) -> dict[str, Any]:
    """Train one config of `family` in this process, then evaluate it once on the test split.

    Returns:
        The last epoch's metrics plus ``test_loss``, ``test_accuracy``, ``stopped_epoch`` and ``diverged``;
        a diverged run scores ``test_loss = inf`` and ``test_accuracy = 0.0``.
    """
    outcome: TrainingOutcome = run_training(config, session or LocalSession(), device=device, family=family)
    summary: dict[str, Any] = dict(outcome.history[-1]) if outcome.history else {}
    if outcome.diverged:
        summary.update(test_loss=math.inf, test_accuracy=0.0)
    else:
        summary.update(evaluate_checkpoint(family, config, outcome.final_state, device=device))
    summary.update(stopped_epoch=outcome.stopped_epoch, diverged=outcome.diverged)
    return summary
