"""The built-in trainables' contract, run against every registered one, plus the cnn1d's own model.

A new built-in is covered by registering it (trainables/registry.py): every test of the first part is
parametrised over :func:`builtin_names`. Everything runs in this process on tiny data; no Ray is started
(the Ray `train` entry point runs against a stand-in for ``ray.tune``'s report and checkpoint calls).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from trainables.checkpoint import load_state, save_state
from trainables.cnn1d import CNN1D, build_model
from trainables.config import ConfigError, resolve_config
from trainables.data import BUILTINS as DATASETS
from trainables.loop import run_training
from trainables.model import weight_matrices
from trainables.registry import (
    BUILTINS,
    builtin,
    builtin_names,
    evaluate_checkpoint,
    resolve_callable,
    resolve_train_and_test,
    resolve_trainable,
)
from trainables.session import LocalSession, ReportPolicy

torch.set_num_threads(1)

# A sequence of 8 steps: a spiral's 2 coordinates and 6 projections of them (300 examples, 3 classes).
TINY = {"data": "spirals:n=300,features=8", "epochs": 2, "batch_size": 32, "threads": 1}
NAMES = builtin_names()


def _without_time(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in m.items() if k != "train_seconds"} for m in history]


# --- the registry -------------------------------------------------------------------------------------


def test_registry_lists_every_builtin_by_its_name() -> None:
    assert {"mlp", "cnn1d"} <= set(NAMES) and NAMES == sorted(BUILTINS)
    for name in NAMES:
        record = builtin(name)
        assert record.name == name and builtin(name).declaration is record.declaration
        assert resolve_trainable(name) is record.train and resolve_train_and_test(name) is record.train_and_test


def test_unknown_builtin_names_the_known_ones() -> None:
    with pytest.raises(ConfigError) as err:
        builtin("cnn")
    assert str(err.value) == f"trainable: unknown built-in 'cnn' (did you mean 'cnn1d'? built-ins: {', '.join(NAMES)})"


# --- the contract every built-in keeps ----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_train_and_test_reports_the_test_score(name: str) -> None:
    record = builtin(name)
    session = LocalSession()
    result = record.train_and_test(TINY, session)
    assert [m["epoch"] for m in session.history] == [1, 2]
    assert set(record.declaration.metrics) <= set(result)
    assert result["stopped_epoch"] == 2 and result["diverged"] is False
    assert 0.0 <= result["test_accuracy"] <= 1.0 and result["test_loss"] > 0


@pytest.mark.parametrize("name", NAMES)
def test_evaluate_checkpoint_scores_the_final_state_as_train_and_test_did(name: str, tmp_path: Path) -> None:
    record = builtin(name)
    result = record.train_and_test(TINY, LocalSession(tmp_path))  # the last epoch is checkpointed
    state = load_state(tmp_path)
    assert state is not None and state["trainable"] == name and state["epoch"] == 2
    expected = {"test_loss": result["test_loss"], "test_accuracy": result["test_accuracy"]}
    assert record.evaluate_checkpoint(TINY, state) == expected
    assert evaluate_checkpoint(TINY, state) == expected  # the registry picks the model the state holds


@pytest.mark.parametrize("name", NAMES)
def test_a_checkpoint_of_another_builtin_is_refused(name: str) -> None:
    other = next(n for n in NAMES if n != name)
    state = run_training({**TINY, "epochs": 1}, LocalSession(), family=builtin(other).family).final_state
    with pytest.raises(ConfigError, match=f"^trainable: the checkpoint holds a model of the {other} trainable"):
        builtin(name).evaluate_checkpoint(TINY, state)


@pytest.mark.parametrize("name", NAMES)
def test_config_keys_refuse_an_unknown_key_in_one_line(name: str) -> None:
    record = builtin(name)
    record.check_keys(["lr", "epochs", "data", "seed"])
    with pytest.raises(ConfigError) as err:
        record.check_keys(["lr", "lrr"])
    assert str(err.value) == f"config.lrr: the {name} trainable has no config key 'lrr' (did you mean 'lr'?)"
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name", NAMES)
def test_key_sets_are_consistent(name: str) -> None:
    record = builtin(name)
    keys = set(record.config_keys)
    assert set(record.architecture_keys) <= keys and set(record.nudgeable_keys) <= keys
    assert set(record.perturbable_keys) <= keys and "lr" in record.perturbable_keys
    assert not set(record.architecture_keys) & (set(record.perturbable_keys) | set(record.nudgeable_keys))
    assert set(record.resolve({})) == keys == set(record.declaration.defaults)
    assert record.default_data.split(":")[0] in DATASETS
    for key in record.config_keys:  # every default passes its own rule
        record.declaration.keys[key](key, record.declaration.defaults[key])


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_resumes_to_the_same_run(name: str, tmp_path: Path) -> None:
    record = builtin(name)
    config = {**TINY, "epochs": 3, "keep_prob": 0.8}
    straight = LocalSession()
    record.train_and_test(config, straight)
    record.train_and_test({**config, "epochs": 1}, LocalSession(tmp_path))
    resumed = LocalSession(tmp_path)
    record.train_and_test(config, resumed)
    assert [m["epoch"] for m in resumed.history] == [2, 3]
    assert _without_time(resumed.history) == _without_time(straight.history[1:])
    architecture = record.architecture_keys[0]
    changed = {**config, architecture: record.declaration.defaults[architecture] + 2}
    with pytest.raises(ConfigError, match=f"^config.{architecture}: the checkpoint was trained with"):
        record.train_and_test(changed, LocalSession(tmp_path))


class _FakeTune:
    """Stands in for ``ray.tune``'s report and get_checkpoint: keeps each checkpoint's state in memory."""

    def __init__(self, resume_from: dict | None = None) -> None:
        self.reports: list[dict] = []
        self.states: list[dict] = []
        self.resume_from = resume_from

    def report(self, metrics: dict, checkpoint: Any = None) -> None:
        self.reports.append(metrics)
        if checkpoint is not None:
            self.states.append(load_state(Path(checkpoint.path)) or {})

    def get_checkpoint(self, tmp: Path) -> Any:
        if self.resume_from is None:
            return None
        from ray import tune

        save_state(self.resume_from, tmp)
        return tune.Checkpoint.from_directory(str(tmp))


@pytest.mark.parametrize("name", NAMES)
def test_the_ray_train_function_checkpoints_and_resumes(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ray import tune

    import trainables.session as session_module

    record = builtin(name)
    monkeypatch.setattr(session_module, "_node_id", lambda: "node")
    first = _FakeTune()
    monkeypatch.setattr(tune, "report", first.report)
    monkeypatch.setattr(tune, "get_checkpoint", lambda: first.get_checkpoint(tmp_path))
    record.train({**TINY, "epochs": 1})
    assert [m["epoch"] for m in first.reports] == [1] and first.states[0]["trainable"] == name

    again = _FakeTune(resume_from=first.states[0])
    monkeypatch.setattr(tune, "report", again.report)
    monkeypatch.setattr(tune, "get_checkpoint", lambda: again.get_checkpoint(tmp_path))
    kwargs = {"reporting": ReportPolicy(frozenset(), report_seconds=60.0)} if record.batches_reports else {}
    record.train({**TINY, "epochs": 3}, **kwargs)
    if record.batches_reports:  # epochs 2 and 3 in one report, at the last epoch
        assert [m["epoch"] for m in again.reports] == [3] and "epochs_batch" in again.reports[0]
    else:
        assert [m["epoch"] for m in again.reports] == [2, 3]
    assert again.states[-1]["epoch"] == 3


@pytest.mark.parametrize("name", NAMES)
def test_train_is_importable_by_reference_and_picklable(name: str) -> None:
    train = builtin(name).train
    assert resolve_callable(f"{train.__module__}:{train.__name__}") is train
    assert pickle.loads(pickle.dumps(train)) is train


@pytest.mark.parametrize("name", [n for n in NAMES if builtin(n).supports_babysit])
def test_babysat_loop_takes_nudges_and_refuses_architecture_changes(name: str) -> None:
    record = builtin(name)

    class Nudging(LocalSession):
        def poll_updates(self) -> dict[str, Any]:
            return {"lr": 0.001, record.architecture_keys[0]: 3} if len(self.history) == 1 else {}

    session = Nudging()
    outcome = run_training({**TINY, "epochs": 2}, session, family=record.family)
    assert session.history[1]["nudged"] == "lr=0.001" and outcome.final_state["config"]["lr"] == 0.001
    assert [key for key, _, _ in session.rejected] == [record.architecture_keys[0]]


@pytest.mark.parametrize("name", NAMES)
def test_prewarm_loads_the_data_a_trial_reads(name: str) -> None:
    from trainables.data import _load_cached

    _load_cached.cache_clear()
    builtin(name).prewarm(TINY["data"])
    assert _load_cached.cache_info().misses == 1
    builtin(name).train_and_test({**TINY, "epochs": 1})  # trains and scores on the prewarmed splits
    assert _load_cached.cache_info().misses == 1


# --- the cnn1d's model --------------------------------------------------------------------------------


def _cnn(n_features: int = 40, **overrides: Any) -> nn.Sequential:
    torch.manual_seed(0)
    return build_model(resolve_config(overrides, CNN1D), n_features=n_features, n_classes=10)


def test_default_cnn1d_is_the_papers_shape_on_mnist1d() -> None:
    model = _cnn()
    assert model(torch.zeros(7, 40)).shape == (7, 10)
    convs = [m for m in model if isinstance(m, nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (1, 25, (5,), (2,)),
        (25, 25, (5,), (2,)),
        (25, 25, (5,), (2,)),
    ]
    assert isinstance(model[-1], nn.Linear) and model[-1].in_features == 25 * 5  # 40 → 20 → 10 → 5 steps


@pytest.mark.parametrize(("kernel", "channels", "layers"), [(3, 8, 1), (7, 16, 2), (9, 4, 5)])
def test_kernel_channels_and_depth_are_respected(kernel: int, channels: int, layers: int) -> None:
    model = _cnn(64, kernel_size=kernel, channels=channels, conv_layers=layers)  # digits as a sequence
    convs = [m for m in model if isinstance(m, nn.Conv1d)]
    assert len(convs) == layers and {c.kernel_size for c in convs} == {(kernel,)}
    assert {c.out_channels for c in convs} == {channels} and {c.padding for c in convs} == {(kernel // 2,)}
    length = 64
    for _ in range(layers):
        length = (length + 1) // 2  # each block halves the length, rounding up
    assert model[-1].in_features == channels * length and model(torch.randn(3, 64)).shape == (3, 10)


def test_even_kernel_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigError) as err:
        resolve_config({"kernel_size": 4}, CNN1D)
    message = "config.kernel_size: 4 is even but must be odd (centred on each step): set e.g. kernel_size=5"
    assert str(err.value) == message
    with pytest.raises(ConfigError, match=r"^config\.channels: 0 is not an integer ≥ 1: set e.g. channels=25$"):
        resolve_config({"channels": 0}, CNN1D)


def test_batch_norm_head_layers_and_no_convs() -> None:
    model = _cnn(batch_norm=True, layers=1, hidden_units=32)
    convs = [m for m in model if isinstance(m, nn.Conv1d)]
    assert all(c.bias is None for c in convs) and sum(isinstance(m, nn.BatchNorm1d) for m in model) == 4
    assert [m.out_features for m in model if isinstance(m, nn.Linear)] == [32, 10]
    flat = _cnn(conv_layers=0)  # no conv: the mlp's softmax regression on the raw sequence
    assert [type(m) for m in flat] == [nn.Unflatten, nn.Flatten, nn.Linear]


def test_l2_reaches_the_conv_kernels() -> None:
    model = _cnn()
    kernels = {id(m.weight) for m in model if isinstance(m, nn.Conv1d)}
    assert len(kernels) == 3 and kernels <= {id(w) for w in weight_matrices(model)}


def test_cnn1d_learns_digits_as_a_sequence() -> None:
    record = builtin("cnn1d")
    session = LocalSession()
    record.train_and_test({"data": "digits", "epochs": 3, "threads": 1, "checkpoint_every": 0}, session)
    assert session.history[-1]["train_loss"] < 0.5 * session.history[0]["train_loss"]
    assert session.history[-1]["dev_accuracy"] > 0.8
