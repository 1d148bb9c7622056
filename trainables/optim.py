"""Optimizers and learning-rate schedules of the built-in trainables, in Andrew Ng's formulation.

* ``sgd``: W −= α·dW.
* ``momentum``: v = β·v + (1−β)·dW; W −= α·v (torch SGD with ``dampening = momentum``, so α keeps the
  same meaning as for plain SGD; torch starts v at the first gradient).
* ``rmsprop``: s = β₂·s + (1−β₂)·dW²; W −= α·dW/(√s + ε) — torch's ``alpha`` is the ``beta2`` key.
* ``adam``: ``beta1``, ``beta2``, ``eps`` as in the paper (with bias correction).

L2 regularisation is ``weight_decay = l2`` on the weight matrices and conv kernels only (biases and
batch-norm γ/β are not penalised): it adds λ·W to the gradient, the gradient of λ/2·Σ‖W‖² added to the
mean mini-batch loss. Reported losses are the cross-entropy alone, so they compare across λ.

Example:
    >>> [round(lr_at(0.1, "inverse_time", 1.0, e), 4) for e in range(3)]
    [0.1, 0.05, 0.0333]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from trainables.model import weight_matrices


def lr_at(base_lr: float, schedule: str, decay_rate: float, epoch: int) -> float:
    """The learning rate of `epoch` (0 for the first epoch) under a decay schedule.

    Args:
        base_lr: α₀.
        schedule: none | inverse_time α₀/(1+d·epoch) | exponential α₀·d^epoch | inverse_sqrt α₀/√(epoch+1)
            | step α₀·d^⌊epoch/10⌋.
        decay_rate: d.
        epoch: Epochs completed before this one.

    Example:
        >>> lr_at(0.1, "step", 0.5, 25)
        0.025
    """
    if schedule == "none":
        return base_lr
    if schedule == "inverse_time":
        return base_lr / (1.0 + decay_rate * epoch)
    if schedule == "exponential":
        return base_lr * decay_rate**epoch
    if schedule == "inverse_sqrt":
        return base_lr / math.sqrt(epoch + 1)
    if schedule == "step":
        return base_lr * decay_rate ** (epoch // 10)
    raise ValueError(f"unknown lr schedule {schedule!r}")  # config validation rules this out


def build_optimizer(model: nn.Module, config: Mapping[str, Any]) -> torch.optim.Optimizer:
    """Create the configured optimizer with two parameter groups: weight matrices (decayed) and the rest."""
    weights = {id(p) for p in weight_matrices(model)}
    groups = [
        {"params": [p for p in model.parameters() if id(p) in weights], "decay": True},
        {"params": [p for p in model.parameters() if id(p) not in weights], "decay": False},
    ]
    groups = [g for g in groups if g["params"]]
    name, lr = config["optimizer"], config["lr"]
    optimizer: torch.optim.Optimizer
    if name in ("sgd", "momentum"):
        optimizer = torch.optim.SGD(groups, lr=lr, momentum=config["momentum"] if name == "momentum" else 0.0)
    elif name == "rmsprop":
        optimizer = torch.optim.RMSprop(groups, lr=lr, alpha=config["beta2"], eps=config["eps"])
    elif name == "adam":
        betas = (config["beta1"], config["beta2"])
        optimizer = torch.optim.Adam(groups, lr=lr, betas=betas, eps=config["eps"])
    else:
        raise ValueError(f"unknown optimizer {name!r}")  # config validation rules this out
    apply_hyperparams(optimizer, config, lr)
    return optimizer


def apply_hyperparams(optimizer: torch.optim.Optimizer, config: Mapping[str, Any], lr: float) -> None:
    """Write the config's hyperparameters (and this epoch's `lr`) into every parameter group.

    Called every epoch, after a nudge, and after restoring a checkpoint: the config in force wins over
    the values stored in the optimizer's state (Population Based Training relies on this).
    """
    for group in optimizer.param_groups:
        group["lr"] = lr
        group["weight_decay"] = config["l2"] if group.get("decay", True) else 0.0
        if config["optimizer"] == "momentum":
            group["momentum"] = group["dampening"] = config["momentum"]
        elif isinstance(optimizer, torch.optim.RMSprop):
            group["alpha"], group["eps"] = config["beta2"], config["eps"]
        elif isinstance(optimizer, torch.optim.Adam):
            group["betas"], group["eps"] = (config["beta1"], config["beta2"]), config["eps"]
