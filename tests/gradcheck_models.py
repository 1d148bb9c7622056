"""Model factories for `sweep gradcheck --model`: one whose backward pass is right, one deliberately wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn


class _WrongTanh(torch.autograd.Function):
    """tanh whose backward forgets the square: 1 − tanh(z) instead of 1 − tanh²(z)."""

    @staticmethod
    def forward(ctx: Any, z: torch.Tensor) -> torch.Tensor:
        out = torch.tanh(z)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (out,) = ctx.saved_tensors
        return grad * (1 - out)


class _Net(nn.Module):
    def __init__(self, n_features: int, n_classes: int, hidden: int, wrong: bool) -> None:
        super().__init__()
        self.hidden, self.out, self.wrong = nn.Linear(n_features, hidden), nn.Linear(hidden, n_classes), wrong

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.hidden(x)
        return self.out(_WrongTanh.apply(z) if self.wrong else torch.tanh(z))


def right(config: Mapping[str, Any], n_features: int, n_classes: int) -> nn.Module:
    return _Net(n_features, n_classes, int(config.get("hidden_units", 16)), wrong=False)


def broken(config: Mapping[str, Any], n_features: int, n_classes: int) -> nn.Module:
    return _Net(n_features, n_classes, int(config.get("hidden_units", 16)), wrong=True)
