"""The multilayer perceptron of the `mlp` trainable: softmax output, optional batch norm and dropout.

Each hidden layer is ``Linear → activation → Dropout`` or, with batch norm, ``Linear(bias=False) →
BatchNorm1d → activation → Dropout``: batch norm normalises Z before the activation and its β replaces the
bias. The output layer is a plain ``Linear`` giving logits; the softmax lives in the cross-entropy loss.

Example:
    >>> m = build_model({"layers": 2, "hidden_units": 32, "activation": "tanh", "init": "xavier",
    ...                  "batch_norm": True, "keep_prob": 0.8}, n_features=64, n_classes=10)
    >>> m(torch.zeros(5, 64)).shape
    torch.Size([5, 10])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from trainables.builtin import ModelFamily
from trainables.config import MLP

_WEIGHTED = (nn.Linear, nn.Conv1d)  # layers whose weights the init schemes draw and L2 decays

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def build_model(config: Mapping[str, Any], n_features: int, n_classes: int) -> nn.Sequential:
    """Build the MLP described by a resolved config (see :mod:`trainables.config`).

    Dropout modules are always present after hidden activations (p = 1 − keep_prob, 0 when off) so that a
    mid-training change of `keep_prob` has modules to act on; PyTorch skips dropout entirely at p = 0.

    Args:
        config: Needs layers, hidden_units, activation, init, batch_norm and keep_prob.
        n_features: Input width.
        n_classes: Number of output logits.
    """
    layers: list[nn.Module] = []
    width = n_features
    for _ in range(config["layers"]):
        layers.append(nn.Linear(width, config["hidden_units"], bias=not config["batch_norm"]))
        if config["batch_norm"]:
            layers.append(nn.BatchNorm1d(config["hidden_units"]))
        layers.append(make_activation(config["activation"]))
        layers.append(nn.Dropout(p=1.0 - config["keep_prob"]))
        width = config["hidden_units"]
    layers.append(nn.Linear(width, n_classes))
    model = nn.Sequential(*layers)
    initialise(model, config["init"], config["activation"])
    return model


def make_activation(name: str) -> nn.Module:
    """A fresh activation module by its config name (``relu``, ``leaky_relu``, ``tanh``, ``sigmoid``)."""
    return _ACTIVATIONS[name]()


def initialise(model: nn.Module, init: str, activation: str) -> None:
    """He: N(0, 2/fan_in), suited to ReLU; Xavier (Glorot): N(0, 2/(fan_in+fan_out)); default: torch's.

    A convolution's fan-in is in_channels × kernel_size, so the same schemes fit its kernels.
    """
    if init == "default":
        return
    for module in model.modules():
        if isinstance(module, _WEIGHTED):
            if init == "he":
                leaky = activation == "leaky_relu"
                nn.init.kaiming_normal_(module.weight, a=0.01 if leaky else 0.0, nonlinearity="leaky_relu")
            else:
                nn.init.xavier_normal_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def set_keep_prob(model: nn.Module, keep_prob: float) -> None:
    """Set every dropout module to drop with probability 1 − keep_prob (takes effect at the next batch)."""
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 1.0 - keep_prob


def weight_matrices(model: nn.Module) -> list[torch.Tensor]:
    """The Linear layers' weight matrices and convolution kernels: the only parameters L2 penalises."""
    return [m.weight for m in model.modules() if isinstance(m, _WEIGHTED)]


# The mlp as a model family of the shared loop: its config keys and its builder.
MLP_FAMILY = ModelFamily("mlp", MLP, build_model)
