"""Diagnosis lines: vanishing/exploding gradients read from real training runs (the loop, no Ray), divergence
regions, and the early-stopping reading."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from search_spaces import Space
from sweep.analysis.advice_divergence import divergence_advice
from sweep.analysis.advice_early_stopping import early_stopping_advice
from sweep.analysis.advice_gradients import gradient_advice
from sweep.store import schema as S
from trainables.loop import run_training
from trainables.session import LocalSession

torch.set_num_threads(1)


def _mini_sweep(setting: dict, lrs: tuple[float, ...] = (0.01, 0.05, 0.2)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A few real trainings of one architecture at several α, as a sweep's tables (ranked, history)."""
    rows, history = [], []
    for index, lr in enumerate(lrs):
        plan_id = f"r1-{index:03d}"
        session = LocalSession()
        outcome = run_training({**setting, "lr": lr, "epochs": 4, "threads": 1, "checkpoint_every": 0}, session)
        history += [{S.PLAN_ID: plan_id, **m} for m in session.history]
        best = max(m["dev_accuracy"] for m in session.history)
        status = S.DIVERGED if outcome.diverged else S.COMPLETED
        rows.append({S.PLAN_ID: plan_id, S.STATUS: status, S.BEST: best, "lr": lr, **setting})
    ranked = pd.DataFrame(rows).sort_values(S.BEST, ascending=False).reset_index(drop=True)
    return ranked, pd.DataFrame(history)


SIX_LAYERS = {"layers": 6, "hidden_units": 64}
SPACE = Space.from_dict({"lr": {"loguniform": [0.01, 0.2]}})


def test_a_deep_sigmoid_net_with_default_init_is_named_vanishing() -> None:
    ranked, history = _mini_sweep({**SIX_LAYERS, "activation": "sigmoid", "init": "default"})
    (line,) = gradient_advice(ranked, history, ranked, SPACE)
    assert line.text.startswith("vanishing gradients: the first layer's gradient is ")
    assert "the winner has activation sigmoid, init default, layers 6" in line.text
    assert "He initialisation for ReLU (init: he), Xavier for tanh (init: xavier), batch norm" in line.text
    assert line.change == {"init": "xavier"}


@pytest.mark.parametrize(("activation", "init"), [("tanh", "xavier"), ("relu", "he")])
def test_the_same_net_with_the_courses_init_is_not_named(activation: str, init: str) -> None:
    ranked, history = _mini_sweep({**SIX_LAYERS, "activation": activation, "init": init})
    assert gradient_advice(ranked, history, ranked, SPACE) == []


def test_exploding_gradient_norm_before_divergence() -> None:
    history = pd.DataFrame(
        {S.PLAN_ID: ["a"] * 3 + ["b"] * 3, S.EPOCH: [1, 2, 3] * 2, "grad_ratio": [1.0] * 6,
         "grad_norm_last": [0.5, 40.0, 900.0, 0.5, 0.6, 0.5]}
    )  # fmt: skip
    trials = pd.DataFrame({S.PLAN_ID: ["a", "b"], S.STATUS: [S.DIVERGED, S.COMPLETED], S.BEST: [0.0, 0.9]})
    (line,) = gradient_advice(trials.iloc[[1]], history, trials, SPACE)
    assert line.text.startswith("exploding gradients before divergence: in 1 of 1 diverged trials")
    assert "(a: ×1.8e+03)" in line.text and "try a lower α" in line.text


def test_divergence_names_the_alpha_region_and_the_next_range_leaves_it_out() -> None:
    lrs = [2.0, 1.5, 1.1, 0.9, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001]
    status = [S.DIVERGED] * 3 + [S.COMPLETED] * 7
    trials = pd.DataFrame({S.STATUS: status, "lr": lrs, "momentum": [0.9] * 10})
    space = Space.from_dict({"lr": {"loguniform": [1e-3, 3]}, "momentum": {"beta": [0.8, 0.99]}})
    (line,) = divergence_advice(trials, space)
    assert line.text.startswith(
        "divergence: 3 of 10 trials diverged, in lr ≥ 1.1 (3 of the 3 trials there; none of the 7 below)"
    )
    assert line.change["lr"].range_text() == "[0.001, 1.1]"
    assert divergence_advice(trials.assign(**{S.STATUS: [S.DIVERGED] + [S.COMPLETED] * 9}), space) == []


def test_early_stopping_reading_is_variance_with_orthogonal_remedies_first() -> None:
    def curve(plan_id: str, dev: list[float], train: list[float]) -> pd.DataFrame:
        n = len(dev)
        return pd.DataFrame({S.PLAN_ID: [plan_id] * n, S.EPOCH: range(1, n + 1), "dev_loss": dev, "train_loss": train})

    history = pd.concat(
        [
            curve("a", [0.9, 0.5, 0.4, 0.45, 0.55], [0.9, 0.4, 0.2, 0.1, 0.05]),
            curve("b", [0.9, 0.6, 0.5, 0.45, 0.44], [0.9, 0.5, 0.4, 0.3, 0.2]),
        ]
    )
    ranked = pd.DataFrame({S.PLAN_ID: ["a", "b"]})
    (line,) = early_stopping_advice(ranked, history)
    assert line.kind == "early-stopping"
    assert line.text.startswith(
        "early stopping: the winner's dev loss turned up after epoch 3 (0.4 → 0.55 at epoch 5) while its train "
        "loss kept falling (0.2 → 0.05); 1 of the top 1 trials show it: variance. Reach first for the orthogonal "
        "remedies: L2 (l2), dropout (keep_prob), more data"
    )
    assert early_stopping_advice(ranked.iloc[[1]], history) == []  # b still improves
