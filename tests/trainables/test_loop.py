"""The epoch loop: it learns, every setting trains, checkpoints resume exactly, divergence, nudges."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch

from trainables.config import ConfigError
from trainables.loop import run_training
from trainables.mlp import evaluate_test, train_and_test
from trainables.optim import lr_at
from trainables.session import LocalSession

torch.set_num_threads(1)

SMALL = {"epochs": 3, "hidden_units": 16, "threads": 1}
METRICS = {
    "epoch",
    "train_loss",
    "train_accuracy",
    "dev_loss",
    "dev_accuracy",
    "lr",
    "train_seconds",
    "diverged",
    "grad_norm_first",
    "grad_norm_last",
    "grad_ratio",
    "update_ratio_first",
    "update_ratio_last",
}


def _run(**config: Any) -> list[dict]:
    session = LocalSession()
    run_training({**SMALL, **config}, session)
    return session.history


def _without_time(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in m.items() if k != "train_seconds"} for m in history]


def test_default_config_reaches_95_percent_on_digits() -> None:
    history = _run(**{"epochs": 30, "hidden_units": 64})  # the trainable's defaults otherwise
    assert max(m["dev_accuracy"] for m in history) >= 0.95
    assert set(history[0]) == METRICS and [m["epoch"] for m in history] == list(range(1, 31))
    seconds = [m["train_seconds"] for m in history]
    assert seconds == sorted(seconds) and seconds[0] > 0


@pytest.mark.parametrize(
    "setting",
    [
        {"optimizer": "sgd"},
        {"optimizer": "momentum"},
        {"optimizer": "rmsprop", "lr": 0.005},
        {"optimizer": "adam", "lr": 0.005},
        {"lr_decay": "inverse_time", "decay_rate": 0.5},
        {"lr_decay": "exponential", "decay_rate": 0.5},
        {"lr_decay": "inverse_sqrt"},
        {"lr_decay": "step", "decay_rate": 0.5},
        {"init": "xavier"},
        {"init": "default"},
        {"activation": "leaky_relu"},
        {"activation": "tanh"},
        {"activation": "sigmoid"},
        {"batch_norm": True},
        {"keep_prob": 0.5},
        {"layers": 0},
        {"layers": 2, "batch_size": 0, "lr": 0.5},
    ],
)
def test_every_setting_trains(setting: dict) -> None:
    history = _run(**setting)
    assert history[-1]["train_loss"] < 0.9 * history[0]["train_loss"]
    assert not history[-1]["diverged"]


@pytest.mark.parametrize("schedule", ["none", "inverse_time", "exponential", "inverse_sqrt", "step"])
def test_reported_lr_follows_the_schedule(schedule: str) -> None:
    history = _run(layers=0, batch_size=0, epochs=12, lr=0.1, lr_decay=schedule, decay_rate=0.7)
    assert [m["lr"] for m in history] == [lr_at(0.1, schedule, 0.7, e) for e in range(12)]
    assert len({m["lr"] for m in history}) > (1 if schedule != "none" else 0)


def test_l2_shrinks_the_weights() -> None:
    def weight_norm(l2: float) -> float:
        outcome = run_training({**SMALL, "epochs": 5, "l2": l2}, LocalSession())
        return sum(float(v.norm() ** 2) for k, v in outcome.final_state["model"].items() if k.endswith("weight"))

    assert weight_norm(0.05) < 0.8 * weight_norm(0.0)


def test_checkpoint_resume_is_identical(tmp_path: Path) -> None:
    config = {**SMALL, "epochs": 6, "keep_prob": 0.8, "batch_norm": True, "optimizer": "adam", "lr": 0.01}
    config |= {"lr_decay": "exponential", "decay_rate": 0.9, "batch_size": 100}
    straight = LocalSession()
    run_training(config, straight)

    first_half = LocalSession(tmp_path)
    run_training({**config, "epochs": 3}, first_half)
    resumed = LocalSession(tmp_path)
    run_training(config, resumed)
    assert [m["epoch"] for m in resumed.history] == [4, 5, 6]
    assert _without_time(straight.history[3:]) == _without_time(resumed.history)
    # train_seconds is cumulative over the trial, restored from the checkpoint
    assert resumed.history[0]["train_seconds"] > first_half.history[-1]["train_seconds"]


def test_resume_takes_hyperparameters_from_the_current_config(tmp_path: Path) -> None:
    run_training({**SMALL, "epochs": 2}, LocalSession(tmp_path))
    resumed = LocalSession(tmp_path)
    outcome = run_training({**SMALL, "epochs": 3, "lr": 0.001, "momentum": 0.5}, resumed)
    assert resumed.history[0]["lr"] == 0.001 and outcome.final_state["config"]["momentum"] == 0.5
    assert {g["momentum"] for g in outcome.final_state["optimizer"]["param_groups"]} == {0.5}
    with pytest.raises(ConfigError, match="config.hidden_units: the checkpoint was trained with hidden_units"):
        run_training({**SMALL, "hidden_units": 32}, LocalSession(tmp_path))


class _Recorder(LocalSession):
    """Counts checkpoints and feeds `updates` at a chosen epoch boundary."""

    def __init__(self, updates: dict | None = None, at_epoch: int = 2) -> None:
        super().__init__()
        self.updates, self.at_epoch, self.saved = updates or {}, at_epoch, []

    def report(self, metrics: dict, state: dict | None) -> None:
        super().report(metrics, state)
        if state is not None:
            self.saved.append(state["epoch"])

    def poll_updates(self) -> dict[str, Any]:
        return self.updates if len(self.history) == self.at_epoch else {}


@pytest.mark.parametrize(("every", "saved"), [(1, [1, 2, 3, 4, 5]), (2, [2, 4, 5]), (0, [])])
def test_checkpoint_every(every: int, saved: list[int]) -> None:
    session = _Recorder()
    run_training({**SMALL, "epochs": 5, "layers": 0, "checkpoint_every": every}, session)
    assert session.saved == saved


def test_divergence_is_reported_once_and_returns() -> None:
    session = _Recorder()
    outcome = run_training({**SMALL, "epochs": 10, "optimizer": "sgd", "lr": 10.0}, session)
    assert outcome.diverged and outcome.stopped_epoch == len(session.history) < 10
    last = session.history[-1]
    assert last["diverged"] and last["dev_accuracy"] == 0.0
    assert last["dev_loss"] == last["train_loss"] == math.inf
    assert not any(m["diverged"] for m in session.history[:-1]) and outcome.stopped_epoch not in session.saved


def test_valid_nudge_changes_the_next_epoch() -> None:
    session = _Recorder({"lr": 0.001, "keep_prob": 0.9}, at_epoch=2)
    outcome = run_training({**SMALL, "epochs": 4}, session)
    assert [m["lr"] for m in session.history] == [0.05, 0.05, 0.001, 0.001]
    assert session.history[2]["nudged"] == "lr=0.001, keep_prob=0.9"
    assert "nudged" not in session.history[1] and "nudged" not in session.history[3]
    assert outcome.final_state["config"]["lr"] == 0.001 and outcome.final_state["config"]["keep_prob"] == 0.9


def test_invalid_nudge_is_rejected_and_training_continues() -> None:
    session = _Recorder({"lr": -1, "layers": 3}, at_epoch=1)
    outcome = run_training({**SMALL, "epochs": 3}, session)
    assert outcome.stopped_epoch == 3 and all(m["lr"] == 0.05 for m in session.history)
    assert [(key, value) for key, value, _ in session.rejected] == [("lr", -1), ("layers", 3)]
    assert session.rejected[0][2].startswith("config.lr: -1 must be a number in (0, inf]")
    assert not any("nudged" in m for m in session.history)


def test_test_split_evaluation() -> None:
    result = train_and_test({**SMALL, "epochs": 5})
    assert result["stopped_epoch"] == 5 and 0.5 < result["test_accuracy"] <= 1.0 and not result["diverged"]
    outcome = run_training({**SMALL, "epochs": 5}, LocalSession())
    assert evaluate_test(SMALL, outcome.final_state) == {k: result[k] for k in ("test_loss", "test_accuracy")}
    assert train_and_test({**SMALL, "optimizer": "sgd", "lr": 10.0})["test_accuracy"] == 0.0


def test_report_policy_batches_between_decision_points():
    from trainables.session import ReportPolicy

    every_epoch = ReportPolicy()
    assert all(every_epoch.due(e, 10, 0.0, final=False) for e in range(1, 11))
    batched = ReportPolicy(frozenset({2, 6}), report_seconds=1.0)
    due = [e for e in range(1, 11) if batched.due(e, 10, 0.1, final=False)]
    assert due == [2, 6, 10]  # the rungs and the last epoch
    assert batched.due(3, 10, 1.5, final=False)  # a slow epoch reports anyway
    assert batched.due(4, 10, 0.0, final=True)  # a diverged epoch is final


def test_initial_weights_depend_only_on_the_seed_even_in_threads():
    """Threaded runners (Optuna's n_jobs) share torch's global RNG; the init must not interleave."""
    import threading

    from trainables.loop import run_training
    from trainables.session import LocalSession

    configs = [{"epochs": 1, "hidden_units": 32, "layers": 2, "seed": seed, "threads": 1} for seed in range(6)]
    alone = [run_training(c, LocalSession()).history[0]["dev_loss"] for c in configs]
    together: dict[int, float] = {}

    def train(index: int) -> None:
        together[index] = run_training(configs[index], LocalSession()).history[0]["dev_loss"]

    threads = [threading.Thread(target=train, args=(i,)) for i in range(len(configs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [together[i] for i in range(len(configs))] == alone
