"""The built-in `cnn1d` trainable: a small 1-D convolutional net for sequence data such as MNIST-1D.

Each example's features are read as one channel over time (MNIST-1D: 40 steps; digits: 64). The net is
``conv_layers`` blocks of ``Conv1d(kernel_size, stride 2) → activation → Dropout`` (with batch norm:
``Conv1d(bias=False) → BatchNorm1d → activation → Dropout``), each halving the length, then the mlp's
layers as the head (``layers`` hidden layers of ``hidden_units``, then the logits). Padding is
``kernel_size // 2``, so an odd kernel is centred on each step and a block maps length L to ⌈L/2⌉.

The defaults are the CNN of the MNIST-1D paper (Greydanus, 2020): 3 conv layers of 25 channels, kernel 5,
stride 2, ReLU, then one linear layer (~94 % test accuracy there, against ~68 % for its MLP; it pads the
first layer by 1, not 2, and uses kernel 3 after it). It trains with Adam at lr 0.01, as the paper does. Every other
key is the mlp's (:mod:`trainables.config`), trained by the same loop and entry points
(:mod:`trainables.entrypoints`).

Example:
    >>> import torch
    >>> model = build_model(FAMILY.resolve({}), n_features=40, n_classes=10)
    >>> model(torch.zeros(8, 40)).shape, model[-1].in_features  # 40 → 20 → 10 → 5 steps of 25 channels
    (torch.Size([8, 10]), 125)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from trainables import entrypoints
from trainables.builtin import BuiltinTrainable, ModelFamily
from trainables.cnn1d_keys import CNN1D, DEFAULTS  # noqa: F401  (their old address)
from trainables.model import build_model as build_head
from trainables.model import initialise, make_activation
from trainables.session import ReportPolicy, Session


def build_model(config: Mapping[str, Any], n_features: int, n_classes: int) -> nn.Sequential:
    """Build the 1-D CNN a resolved config describes, for inputs of shape ``(batch, n_features)``.

    Dropout modules follow every activation (p = 1 − keep_prob, 0 when off) so a nudged `keep_prob`
    has modules to act on, as in the mlp.

    Args:
        config: Needs conv_layers, channels, kernel_size and the mlp's architecture keys.
        n_features: The sequence length (one channel).
        n_classes: Number of output logits.
    """
    blocks: list[nn.Module] = []
    channels, length, kernel = 1, n_features, config["kernel_size"]
    for _ in range(config["conv_layers"]):
        bias = not config["batch_norm"]  # batch norm's β replaces the conv's bias, as in the mlp
        blocks.append(nn.Conv1d(channels, config["channels"], kernel, stride=2, padding=kernel // 2, bias=bias))
        if config["batch_norm"]:
            blocks.append(nn.BatchNorm1d(config["channels"]))
        blocks += [make_activation(config["activation"]), nn.Dropout(p=1.0 - config["keep_prob"])]
        channels, length = config["channels"], (length - 1) // 2 + 1
    features = nn.Sequential(*blocks)
    initialise(features, config["init"], config["activation"])
    head = build_head(config, channels * length, n_classes)
    return nn.Sequential(nn.Unflatten(1, (1, n_features)), *features, nn.Flatten(), *head)


FAMILY = ModelFamily("cnn1d", CNN1D, build_model)


def train(config: dict, reporting: ReportPolicy | None = None) -> None:
    """Ray Tune function trainable: train the 1-D CNN, report each epoch, checkpoint, resume.

    Example:
        >>> from ray import tune
        >>> tune.Tuner(tune.with_resources(train, {"cpu": 1}),
        ...            param_space={"lr": tune.loguniform(1e-4, 0.1), "epochs": 10}).fit()  # doctest: +SKIP
    """
    entrypoints.tune_train(FAMILY, config, reporting)


def evaluate_test(config: Mapping[str, Any], state: Mapping[str, Any], *, device: str = "cpu") -> dict[str, float]:
    """Score a trained 1-D CNN's checkpoint state on the TEST split: ``{"test_loss", "test_accuracy"}``."""
    return entrypoints.evaluate_checkpoint(FAMILY, config, state, device=device)


def train_and_test(config: Mapping[str, Any], session: Session | None = None, *, device: str = "cpu") -> dict[str, Any]:
    """Train one config in this process, then score it once on the test split.

    Example:
        >>> result = train_and_test({"epochs": 1, "data": "spirals:n=300,features=8", "threads": 1})
        >>> result["stopped_epoch"], 0.0 <= result["test_accuracy"] <= 1.0
        (1, True)
    """
    return entrypoints.train_and_test(FAMILY, config, session, device=device)


BUILTIN = BuiltinTrainable(FAMILY, train, train_and_test, evaluate_test)
