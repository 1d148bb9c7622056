"""Spec parsing: defaults, presets, round trips, and one exact message per class of mistake."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from search_spaces import (
    DEFAULT_PRESET,
    SchedulerSpec,
    SpecError,
    SweepError,
    load_spec,
    parse_spec,
    preset_names,
)


def fails(data: Any, message: str) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        parse_spec(data)


def with_entry(entry: Any, name: str = "lr") -> dict[str, Any]:
    return {"space": {name: entry}}


# ----------------------------------------------------------------------------- good specs
def test_defaults() -> None:
    spec = parse_spec({})
    assert (spec.name, spec.trainable, spec.data, spec.metric, spec.mode) == (
        "sweep",
        "mlp",
        None,
        "dev_accuracy",
        "max",
    )
    assert (spec.samples, spec.sampler, spec.seed, spec.max_concurrent) == (16, "random", 0, None)
    assert spec.scheduler == SchedulerSpec("asha", None, 1, 3, 2, 0.25)
    assert (spec.rounds.count, spec.rounds.top_fraction, spec.rounds.margin) == (1, 0.25, 0.1)
    assert (spec.resources.cpu, spec.resources.gpu) == (1, 0)
    assert len(spec.space) == 0


def test_presets_load_and_round_trip() -> None:
    assert preset_names()[0] == DEFAULT_PRESET and "digits-adam" in preset_names()
    for name in preset_names():
        spec = load_spec(name)
        assert spec.source == name and spec.name == name and spec.data == "digits"
        assert parse_spec(spec.to_dict(), name) == spec
    spec = load_spec(None)
    assert spec.name == "digits-momentum" and spec.samples == 24 and spec.rounds.count == 2
    assert spec.space["lr"].describe() == "loguniform [0.0001, 1]" and spec.space["lr"].default == 0.05
    assert spec.space["momentum"].describe() == "beta [0.8, 0.999]" and spec.space["momentum"].tier == 2
    assert spec.space["batch_size"].levels() == [16, 32, 64, 128, 256]
    assert spec.scheduler.grace_period == 2 and spec.scheduler.reduction_factor == 3


def test_full_spec_from_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "trainable: mypkg.models:train\ndata: data/x.csv\nmode: min\nmetric: dev_loss\nsampler: sobol\n"
        "scheduler: {type: pbt, max_t: 30, perturbation_interval: 3, quantile_fraction: 0.5}\n"
        "rounds: {count: 3, top_fraction: 0.1, margin: 0}\nresources: {cpu: 0.5, gpu: 1}\n"
        "max_concurrent: 2\nspace:\n  lr: {loguniform: [1e-5, 1e-1]}\n  epochs: 5\n"
    )
    spec = load_spec(path)
    assert spec.name == "mine" and spec.source == str(path) and spec.trainable == "mypkg.models:train"
    assert spec.scheduler.type == "pbt" and spec.scheduler.max_t == 30 and spec.rounds.count == 3
    assert spec.resources.cpu == 0.5 and spec.max_concurrent == 2 and spec.space["lr"].low == 1e-5
    assert parse_spec(spec.to_dict(), spec.source) == spec
    assert spec.replace(samples=4).samples == 4 and spec.samples == 16
    assert load_spec(str(path)) == spec and load_spec(spec.to_dict()).space == spec.space


def test_spec_error_is_a_sweep_error() -> None:
    assert issubclass(SpecError, SweepError)


# ----------------------------------------------------------------------------- space mistakes
def test_loguniform_bounds() -> None:
    fails(with_entry({"loguniform": [0, 1]}), "space.lr: loguniform needs 0 < low < high, got [0, 1]")


def test_beta_bounds() -> None:
    fails(
        with_entry({"beta": [0.9, 1.0]}, "momentum"),
        "space.momentum: beta bounds must lie in [0, 1), got [0.9, 1.0]",
    )
    fails(
        with_entry({"beta": [0.99, 0.9]}, "momentum"),
        "space.momentum: beta needs low < high, got [0.99, 0.9]",
    )


def test_uniform_bounds() -> None:
    fails(with_entry({"uniform": [1, 0.5]}, "keep"), "space.keep: uniform needs low < high, got [1, 0.5]")
    fails(with_entry({"uniform": 0.5}, "keep"), "space.keep: uniform needs [low, high] (two numbers), got 0.5")


def test_int_bounds() -> None:
    fails(with_entry({"int": [1.5, 3]}, "layers"), "space.layers: int needs integers low ≤ high, got [1.5, 3]")


def test_pow2_without_a_power_of_two() -> None:
    fails(with_entry({"pow2": [17, 31]}, "bs"), "space.bs: pow2 range holds no power of two, got [17, 31]")


def test_empty_choice() -> None:
    fails(with_entry({"choice": []}, "act"), "space.act: choice needs a non-empty list, got []")


def test_default_out_of_range() -> None:
    fails(
        with_entry({"loguniform": [1e-4, 1], "default": 2}),
        "space.lr: default must lie in loguniform [0.0001, 1], got 2",
    )
    fails(
        with_entry({"choice": ["relu", "tanh"], "default": "gelu"}, "act"),
        "space.act: default must lie in choice [relu, tanh], got 'gelu'",
    )
    fails(
        with_entry({"pow2": [16, 256], "default": 48}, "bs"),
        "space.bs: default must lie in pow2 [16, 256], got 48",
    )


def test_unknown_scale_key() -> None:
    fails(with_entry({"logunifrom": [1e-4, 1]}), "space.lr.logunifrom: unknown key (did you mean 'loguniform'?)")


def test_two_scale_keys() -> None:
    fails(
        with_entry({"loguniform": [1e-4, 1], "uniform": [0, 1]}),
        "space.lr: needs exactly one scale key (loguniform, beta, uniform, int, pow2, choice, grid, value), "
        "got loguniform, uniform",
    )


def test_bad_tier() -> None:
    fails(with_entry({"uniform": [0, 1], "tier": 4}), "space.lr.tier: must be 1, 2 or 3, got 4")


def test_bare_list_entry() -> None:
    fails(
        with_entry([1, 2], "units"),
        "space.units: a list needs a scale key (write choice: [...], grid: [...] or value: [...]), got [1, 2]",
    )


# ----------------------------------------------------------------------------- top-level mistakes
def test_unknown_top_level_key_with_did_you_mean() -> None:
    fails({"samplr": "sobol"}, "samplr: unknown key (did you mean 'sampler'?)")
    fails({"resources": {"gpus": 1}}, "resources.gpus: unknown key (did you mean 'gpu'?)")
    fails({"scheduler": {"grace": 2}}, "scheduler.grace: unknown key (did you mean 'grace_period'?)")


def test_unknown_scheduler_type() -> None:
    fails({"scheduler": {"type": "ashaa"}}, "scheduler.type: unknown scheduler 'ashaa' (choose asha, fifo, pbt)")
    fails({"scheduler": {"reduction_factor": 1}}, "scheduler.reduction_factor: must be a number > 1, got 1")


def test_bad_mode() -> None:
    fails({"mode": "maximize"}, "mode: must be 'min' or 'max', got 'maximize'")


def test_bad_samples_type() -> None:
    fails({"samples": "ten"}, "samples: must be an integer ≥ 1, got 'ten'")
    fails({"samples": 0}, "samples: must be an integer ≥ 1, got 0")
    fails({"sampler": "sobl"}, "sampler: unknown sampler 'sobl' (choose random, sobol, grid)")


def test_bad_rounds() -> None:
    fails({"rounds": 0}, "rounds: must be an integer ≥ 1 or a mapping {count, top_fraction, margin}, got 0")
    fails(
        {"rounds": {"count": 2, "top_fraction": 1.5}},
        "rounds.top_fraction: must be a number in (0, 1], got 1.5",
    )
    fails({"rounds": {"margin": -1}}, "rounds.margin: must be a number ≥ 0, got -1")


def test_bad_trainable_and_resources() -> None:
    fails(
        {"trainable": "my trainer"},
        "trainable: must be a built-in name (mlp) or 'package.module:function', got 'my trainer'",
    )
    fails({"resources": {"cpu": 0}}, "resources.cpu: must be a number > 0, got 0")


def test_malformed_yaml_names_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text("name: x\nspace:\n  lr: {loguniform: [1e-4, 1]\n  epochs: 3\n")
    with pytest.raises(SpecError, match=r"^spec\.yaml: invalid YAML at line 4: expected ',' or '}'"):
        load_spec("spec.yaml")


def test_missing_file() -> None:
    message = "spec 'foo.yaml' not found: give a path to a YAML file or a preset name (digits-momentum, digits-adam)"
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        load_spec("foo.yaml")


def test_spec_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(SpecError, match=re.escape(f"{path}: a spec must be a mapping of keys (name, ")):
        load_spec(path)
