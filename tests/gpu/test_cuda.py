"""The CUDA path: built-in trainables on a GPU, checkpoints across devices, and trials sharing one GPU.

Skipped where torch sees no GPU (CI, the 2-core machines); run on a GPU machine with
`pytest tests/gpu -q`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from search_spaces import load_spec
from sweep import RunOptions, run_sweep
from trainables.loop import run_training
from trainables.mlp import evaluate_test
from trainables.session import LocalSession

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

# Dropout draws from the CUDA generator on a GPU: resuming must restore it for the run to continue exactly.
CONFIG = {"data": "digits", "epochs": 4, "hidden_units": 32, "layers": 2, "keep_prob": 0.8, "seed": 5}


def _dev(history: list[dict]) -> list[float]:
    return [round(float(m["dev_loss"]), 5) for m in history]


def test_a_builtin_trainable_trains_on_the_gpu_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    straight = run_training(CONFIG, LocalSession(), device="cuda")
    assert all(m["diverged"] is False for m in straight.history) and len(straight.history) == 4

    first = LocalSession(checkpoint_dir=tmp_path)
    run_training({**CONFIG, "epochs": 2}, first, device="cuda")
    second = LocalSession(checkpoint_dir=tmp_path)
    run_training(CONFIG, second, device="cuda")  # picks up the epoch-2 checkpoint
    assert [m["epoch"] for m in second.history] == [3, 4]
    assert _dev(first.history + second.history) == _dev(straight.history)

    scores = evaluate_test(CONFIG, straight.final_state, device="cuda")
    assert 0.0 <= scores["test_accuracy"] <= 1.0


def test_a_gpu_checkpoint_resumes_on_a_cpu_node(tmp_path: Path) -> None:
    run_training({**CONFIG, "epochs": 2}, LocalSession(checkpoint_dir=tmp_path), device="cuda")
    resumed = LocalSession(checkpoint_dir=tmp_path)
    run_training(CONFIG, resumed, device="cpu")
    assert [m["epoch"] for m in resumed.history] == [3, 4]


@pytest.mark.ray
@pytest.mark.usefixtures("ray_instance")
def test_trials_asking_half_a_gpu_share_one_and_train_on_it(tmp_path: Path) -> None:
    log = tmp_path / "trials.log"
    spec = load_spec(
        {
            "name": "half-a-gpu", "trainable": "tests.toy_trainables:gpu_probe", "metric": "dev_accuracy",
            "samples": 4, "seed": 2, "baseline": False, "scheduler": {"type": "fifo"},
            "resources": {"cpu": 1, "gpu": 0.5},
            "space": {"x": {"uniform": [0.0, 1.0]}, "seconds": 2.0, "log": str(log)},
        }
    )  # fmt: skip
    result = run_sweep(spec, RunOptions(storage=str(tmp_path / "sweeps"), quiet=True, final_test=False))
    rows = [line.split() for line in log.read_text().splitlines()]
    assert len(rows) == 4 and len(result.trials) == 4
    assert {device for _, device, *_ in rows} == {"cuda"}
    assert len({gpus for _, _, gpus, *_ in rows}) == 1  # one GPU, shared
    spans = sorted((float(start), float(end)) for *_, start, end in rows)
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))  # two trials held it at once


@pytest.mark.ray
@pytest.mark.usefixtures("ray_instance")
def test_a_builtin_sweep_on_fractional_gpus_finishes(tmp_path: Path) -> None:
    spec = load_spec(
        {
            "name": "mlp-on-gpu", "trainable": "mlp", "data": "digits", "samples": 4, "seed": 1,
            "resources": {"cpu": 1, "gpu": 0.25}, "scheduler": {"type": "fifo"},
            "space": {"lr": {"loguniform": [1e-2, 0.3]}, "hidden_units": 16, "epochs": 2, "threads": 1},
        }
    )  # fmt: skip
    result = run_sweep(spec, RunOptions(storage=str(tmp_path / "sweeps"), quiet=True))
    assert result.status == "completed"
    assert (result.trials["status"] == "completed").all() and len(result.trials) == 4
