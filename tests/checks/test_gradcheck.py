"""`sweep gradcheck`: the built-in models pass, a deliberately wrong backward pass fails with its figure."""

from __future__ import annotations

import re

import pytest
import torch

from sweep.checks.gradcheck import FINE, WRONG, check_model, relative_difference, verdict
from tests.conftest import invoke_cli, run_cli
from tests.gradcheck_models import broken, right
from trainables.registry import builtin

torch.set_num_threads(1)


@pytest.mark.parametrize(
    ("name", "config"),
    [
        ("mlp", {}),
        ("mlp", {"layers": 3, "hidden_units": 16, "batch_norm": True, "activation": "tanh", "keep_prob": 0.5}),
        ("cnn1d", {"data": "spirals:n=300,features=16", "channels": 6, "batch_norm": True}),
    ],
)
def test_builtin_models_pass(name: str, config: dict) -> None:
    family = builtin(name).family
    report = check_model(family.build_model, family.resolve(config), examples=8)
    assert report.verdict == "fine", report
    assert report.relative_difference < FINE and report.torch_passed
    assert report.checked == report.total and report.examples == 8 and not report.notes


def test_a_wrong_backward_fails_and_a_right_one_passes() -> None:
    wrong = check_model(broken, {"hidden_units": 8}, examples=8)
    assert wrong.verdict == "wrong" and wrong.failed
    assert wrong.relative_difference >= WRONG and not wrong.torch_passed
    assert set(wrong.per_tensor) == {"hidden.weight", "hidden.bias", "out.weight", "out.bias"}
    assert wrong.per_tensor["out.weight"] < FINE  # the output layer's gradient does not pass through the bug
    assert wrong.worst()[0].startswith("hidden.")
    assert check_model(right, {"hidden_units": 8}, examples=8).verdict == "fine"


def test_a_sample_of_coordinates_for_a_large_model() -> None:
    report = check_model(right, {"hidden_units": 64}, examples=4, max_params=500)
    assert report.checked == 500 < report.total and report.notes == [
        f"500 of {report.total:,} parameters sampled evenly"
    ]
    assert report.verdict == "fine"


def test_thresholds_and_the_figure() -> None:
    assert [verdict(d) for d in (1e-9, 1e-7, 1e-5, 9.9e-4, 1e-3, float("nan"))] == [
        "fine", "look closer", "look closer", "look closer", "wrong", "wrong"
    ]  # fmt: skip
    assert relative_difference(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])) == pytest.approx(2**0.5 / 2)


def test_cli_fails_the_broken_model_and_prints_the_difference() -> None:
    proc = invoke_cli("gradcheck", "--model", "tests.gradcheck_models:broken", "--set", "hidden_units=8", timeout=120)
    assert proc.returncode == 1, proc.stderr
    figure = re.search(r"relative difference .* = ([0-9.e+-]+) ", proc.stdout)
    assert figure is not None and float(figure.group(1)) >= WRONG, proc.stdout
    assert "verdict: WRONG" in proc.stdout and "FAILED: Jacobian mismatch" in proc.stdout


def test_cli_passes_the_builtins() -> None:
    for spec in ("digits-momentum", "mnist1d-cnn1d"):
        proc = invoke_cli("gradcheck", spec, "--set", "data=spirals:n=300,features=16", timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "verdict: fine" in proc.stdout and "torch.autograd.gradcheck (float64, fast mode): passed" in proc.stdout


def test_cli_asks_for_a_factory_for_a_users_trainable(tmp_path) -> None:
    spec = tmp_path / "own.yaml"
    spec.write_text("name: own\ntrainable: mypkg.train:train\nspace:\n  lr: {loguniform: [0.001, 0.1]}\n")
    proc = run_cli("gradcheck", str(spec), timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert (
        proc.stderr.startswith("error: gradcheck: 'mypkg.train:train' is your own trainable")
        and proc.stderr.count("\n") == 1
    )


_FACTORIES = """
from torch import nn


def good(config, n_features, n_classes):
    return nn.Sequential(nn.Linear(n_features, 8), nn.Tanh(), nn.Linear(8, n_classes))


def no_parameters(config, n_features, n_classes):
    return nn.Identity()


def three_outputs(config, n_features, n_classes):
    return nn.Linear(n_features, 3)


def not_a_module(config, n_features, n_classes):
    return 42


def raising(config, n_features, n_classes):
    raise RuntimeError("no such layer")


def five_inputs(config, n_features, n_classes):
    return nn.Linear(5, n_classes)


def two_arguments(config, n_features):
    return nn.Linear(n_features, 10)


class _Pair(nn.Module):
    def __init__(self, n_features, n_classes):
        super().__init__()
        self.out = nn.Linear(n_features, n_classes)

    def forward(self, x):
        return self.out(x), x


def a_pair(config, n_features, n_classes):
    return _Pair(n_features, n_classes)
"""


@pytest.fixture
def factories(tmp_path):
    """A user's project: a spec of the built-in mlp on digits with a module of model factories beside it."""
    (tmp_path / "my_factories.py").write_text(_FACTORIES)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: own-model\ntrainable: mlp\nspace:\n  lr: {loguniform: [0.001, 0.1]}\n")
    return spec


def test_cli_imports_the_factory_beside_the_spec_or_in_the_working_directory(factories, tmp_path) -> None:
    beside = invoke_cli("gradcheck", str(factories), "--model", "my_factories:good", cwd="/")
    assert beside.returncode == 0 and "verdict: fine" in beside.stdout, beside.stderr
    here = invoke_cli("gradcheck", "digits-momentum", "--model", "my_factories:good", cwd=tmp_path)
    assert here.returncode == 0 and "verdict: fine" in here.stdout, here.stderr


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        ("no_parameters", "gradcheck of my_factories:no_parameters: the model has no trainable parameters"),
        ("three_outputs", "its output has shape (16, 3), not the (16, 10) logits of the data's 10 classes: give its "
                          "last layer 10 outputs"),
        ("not_a_module", "the factory returned int, not a torch.nn.Module: return the model"),
        ("raising", "building the model raised RuntimeError: no such layer: fix the factory"),
        ("five_inputs", "its forward pass on a batch of shape (16, 64) raised RuntimeError: mat1 and mat2 shapes"),
        ("a_pair", "its forward pass returned tuple, not a tensor of logits (16, 10)"),
        ("two_arguments", "--model 'my_factories:two_arguments': its signature (config, n_features) cannot take "
                          "(config, n_features, n_classes)"),
        ("absent", "--model 'my_factories:absent': 'my_factories' has no 'absent': fix the name"),
    ],
)  # fmt: skip
def test_cli_says_in_one_line_why_a_factory_cannot_be_checked(factories, factory: str, message: str) -> None:
    proc = invoke_cli("gradcheck", str(factories), "--model", f"my_factories:{factory}")
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout
    assert proc.stderr.startswith("error: ") and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_cli_names_the_model_option_in_a_malformed_reference() -> None:
    proc = invoke_cli("gradcheck", "--model", "my_factories")
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: --model 'my_factories': not package.module:function: write e.g. --model mypkg.models:build\n"
    )


def test_cli_says_in_one_line_that_the_factorys_module_raised_on_import(factories) -> None:
    (factories.parent / "broken_factories.py").write_text("raise RuntimeError('no GPU here')\n")
    proc = invoke_cli("gradcheck", str(factories), "--model", "broken_factories:build")
    assert proc.returncode == 2 and proc.stderr == (
        "error: --model 'broken_factories:build': importing 'broken_factories' raised RuntimeError: no GPU here: "
        "fix the module\n"
    )
