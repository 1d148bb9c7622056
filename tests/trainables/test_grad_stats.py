"""Per-layer gradient statistics: a known tiny network against a hand computation, and the loop's reports."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from trainables.data import Splits
from trainables.grad_stats import STAT_KEYS, LayerProbe, layer_stats, update_ratio
from trainables.loop import run_training, train_epoch
from trainables.session import LocalSession

torch.set_num_threads(1)


def _tiny() -> nn.Sequential:
    """x (2) → Linear(2, 2, no bias) → identity → Linear(2, 1, no bias) → logits of 2 classes via [0, z]."""
    first, last = nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
        last.weight.copy_(torch.tensor([[1.0, 1.0], [0.0, 0.0]]))
    return nn.Sequential(first, last)


def test_stats_of_a_known_network_match_the_hand_computation() -> None:
    # One example x = (1, 1), label 1. h = W1 x = (1, 2); logits z = W2 h = (3, 0).
    # softmax(z) = (p, 1-p) with p = e³/(e³+1); dL/dz = softmax − onehot(1) = (p, −p).
    # dL/dW2 = dz hᵀ = [[p, 2p], [−p, −2p]] → ‖·‖ = p·√10.
    # dL/dh = W2ᵀ dz = (p, p); dL/dW1 = dh xᵀ = [[p, p], [p, p]] → ‖·‖ = 2p.
    model = _tiny()
    x, y = torch.tensor([[1.0, 1.0]]), torch.tensor([1])
    p = math.exp(3) / (math.exp(3) + 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    probe = LayerProbe(model[0].weight, model[1].weight)
    probe.before_step()
    optimizer.step()
    stats = probe.after_step()
    assert stats["grad_norm_first"] == pytest.approx(2 * p, rel=1e-6)
    assert stats["grad_norm_last"] == pytest.approx(p * math.sqrt(10), rel=1e-6)
    assert stats["grad_ratio"] == pytest.approx(2 / math.sqrt(10), rel=1e-6)
    # plain SGD: ΔW = −α·dW, so ‖ΔW‖/‖W‖ = α‖dW‖/‖W‖, with ‖W1‖ = √5 and ‖W2‖ = √2
    assert stats["update_ratio_first"] == pytest.approx(0.1 * 2 * p / math.sqrt(5), rel=1e-6)
    assert stats["update_ratio_last"] == pytest.approx(0.1 * p * math.sqrt(10) / math.sqrt(2), rel=1e-6)
    assert stats is probe.stats


def test_layer_stats_edge_cases() -> None:
    assert math.isnan(layer_stats(1.0, 0.0, 0.1, 0.1)["grad_ratio"])
    assert math.isnan(update_ratio(torch.zeros(3), torch.ones(3)))
    with pytest.raises(RuntimeError, match="before before_step"):
        LayerProbe(torch.ones(1), torch.ones(1)).after_step()


def test_train_epoch_measures_the_last_step_only() -> None:
    # Two batches: the probe must see the second step's gradient, not the first's.
    model = _tiny()
    x = torch.tensor([[1.0, 1.0], [1.0, 1.0], [-1.0, 2.0], [-1.0, 2.0]])
    y = torch.tensor([1, 1, 0, 0])
    data = Splits(x, y, x, y, x, y, n_features=2, n_classes=2, name="tiny")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: no update, gradients of the same weights
    probe = LayerProbe(model[0].weight, model[1].weight)
    train_epoch(model, optimizer, data, 2, torch.Generator().manual_seed(0), probe)
    order = torch.randperm(4, generator=torch.Generator().manual_seed(0))
    xb, yb = x[order][2:], y[order][2:]
    model.zero_grad()
    F.cross_entropy(model(xb), yb).backward()
    assert probe.stats["grad_norm_first"] == pytest.approx(float(model[0].weight.grad.norm()), rel=1e-6)
    assert probe.stats["update_ratio_first"] == 0.0


def test_every_epoch_reports_the_statistics() -> None:
    session = LocalSession()
    run_training({"epochs": 2, "hidden_units": 8, "layers": 3, "threads": 1}, session)
    for metrics in session.history:
        assert set(STAT_KEYS) <= set(metrics)
        assert all(math.isfinite(metrics[k]) and metrics[k] > 0 for k in STAT_KEYS)
        assert metrics["grad_ratio"] == pytest.approx(metrics["grad_norm_first"] / metrics["grad_norm_last"])
