"""Spec parsing: defaults, presets, round trips, and one exact message per class of mistake."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from search_spaces import (
    DEFAULT_PRESET,
    SchedulerSpec,
    Space,
    SpecError,
    SweepError,
    load_spec,
    parse_spec,
    preset_names,
)
from search_spaces.scheduler_spec import AshaSettings
from search_spaces.spec import SAMPLERS
from sweep.checks.preflight import preflight


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
    assert spec.scheduler == SchedulerSpec("asha", None, AshaSettings(grace_period=1, reduction_factor=3))
    assert (spec.rounds.count, spec.rounds.top_fraction, spec.rounds.margin) == (1, 0.25, 0.1)
    assert (spec.resources.cpu, spec.resources.gpu) == (1, 0)
    assert len(spec.space) == 0


def test_presets_load_and_round_trip() -> None:
    assert preset_names()[0] == DEFAULT_PRESET and "digits-adam" in preset_names()
    for name in preset_names():
        spec = load_spec(name)
        assert spec.source == name and spec.name == name and spec.data in ("digits", "mnist1d")
        assert parse_spec(spec.to_dict(), name) == spec
    spec = load_spec(None)
    assert spec.name == "digits-momentum" and spec.samples == 24 and spec.rounds.count == 2
    assert spec.space["lr"].describe() == "loguniform [0.0001, 1]" and spec.space["lr"].default == 0.05
    assert spec.space["momentum"].describe() == "beta [0.8, 0.999]" and spec.space["momentum"].tier == 2
    assert spec.space["batch_size"].levels() == [16, 32, 64, 128, 256]
    assert spec.scheduler.settings == AshaSettings(grace_period=2, reduction_factor=3)


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
    fails({"sampler": "sobl"}, f"sampler: unknown sampler 'sobl' (choose {', '.join(SAMPLERS)})")


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
        "trainable: must be a built-in's name (an identifier, e.g. mlp or cnn1d) or 'package.module:function', "
        "got 'my trainer'",
    )
    fails({"resources": {"cpu": 0}}, "resources.cpu: must be a number > 0, got 0")


def test_malformed_yaml_names_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text("name: x\nspace:\n  lr: {loguniform: [1e-4, 1]\n  epochs: 3\n")
    with pytest.raises(SpecError, match=r"^spec\.yaml: invalid YAML at line 4: expected ',' or '}'"):
        load_spec("spec.yaml")


def test_missing_file() -> None:
    presets = ", ".join(preset_names())  # digits-momentum, digits-adam, ...
    message = f"spec 'foo.yaml' not found: give a path to a YAML file or a preset name ({presets})"
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        load_spec("foo.yaml")


def test_spec_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(SpecError, match=re.escape(f"{path}: a spec must be a mapping of keys (name, ")):
        load_spec(path)


# ----------------------------------------------------------------------------- the YAML file itself
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("lr: 0.1".encode("utf-16"), "the file is UTF-16 text, not UTF-8: save it as UTF-8"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "the file is binary (it holds NUL bytes), not a YAML spec: give a .yaml text file",
        ),
        ("name: café\n".encode("latin-1"), "not UTF-8 text (byte 0xe9 at line 1): save the file as UTF-8"),
        (
            b"samples: " + b"9" * 5000,
            "invalid YAML: Exceeds the limit (4300 digits) for integer string conversion: value has",
        ),
        (
            b"name: a\nspace:\n  lr: 0.1\n  lr: 0.2\n",
            "duplicate key 'lr' at line 4: keep one (YAML would silently use the last)",
        ),
        (b"name: a\nname: b\n", "duplicate key 'name' at line 2: keep one (YAML would silently use the last)"),
        (b"[" * 20000, "invalid YAML: nested too deeply: flatten it"),
    ],
    ids=["utf16", "binary", "latin1", "5000-digits", "dup-space-key", "dup-top-key", "deep"],
)
def test_unreadable_yaml_is_one_spec_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(content)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value).startswith(f"{path}: {message}")
    assert "\n" not in str(err.value)


def test_utf8_with_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: café\nspace: {lr: 0.1}\n".encode())
    assert load_spec(path).name == "café"


def test_huge_values_are_shown_short() -> None:
    fails({"samples": -(10**5000)}, "samples: must be an integer ≥ 1, got an integer of about 5001 digits")
    fails({"mode": "x" * 500}, "mode: must be 'min' or 'max', got '" + "x" * 78 + "…")
    preflight_fails(
        {"samples": 10**5000},
        "samples: an integer of about 5001 digits configs per round is more than 100000: "
        "lower it (add rounds to spend more compute)",
    )


# ----------------------------------------------------------------------------- the launch's pre-flight
def preflight_fails(data: dict[str, Any], message: str) -> None:
    """What a launch refuses: the spec's own rules when it is built, the pre-flight's after."""
    with pytest.raises(SweepError) as err:
        preflight(parse_spec({"space": {"lr": {"loguniform": [1e-4, 1]}}, **data}))
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"samples": 0}, "samples: must be an integer ≥ 1, got 0"),
        ({"seed": -1}, "seed: must be an integer in [0, 4294967295], got -1"),
        ({"max_concurrent": 0}, "max_concurrent: must be an integer ≥ 1, got 0"),
        ({"name": "a/b"}, "name: 'a/b' must be a plain name"),
        ({"space": Space.from_dict({"bs": {"pow2": [30, 100]}})}, "space.bs: pow2 bounds must be powers of two"),
    ],
    ids=["samples", "seed", "max_concurrent", "name", "pow2"],
)
def test_a_spec_object_is_valid_by_construction(change: dict[str, Any], message: str) -> None:
    """Neither parsing nor `replace` (how the command line's overrides land) builds a spec the launch refuses."""
    spec = parse_spec({"space": {"lr": {"loguniform": [1e-4, 1]}}})
    with pytest.raises(SweepError, match=re.escape(message)):
        spec.replace(**change)
    data = {**spec.to_dict(), **{k: (v.to_dict() if isinstance(v, Space) else v) for k, v in change.items()}}
    with pytest.raises(SweepError, match=re.escape(message)):
        parse_spec(data)


def test_preflight_passes_the_presets() -> None:
    for name in preset_names():
        preflight(load_spec(name))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"space": {"epochs": "three"}}, "space.epochs: 'three' is not an integer ≥ 1: set e.g. epochs=30"),
        (
            {"space": {"optimizer": "adamw"}},
            "space.optimizer: unknown optimizer 'adamw' (choose sgd, momentum, rmsprop, adam)",
        ),
        ({"space": {"keep_prob": 1.5}}, "space.keep_prob: 1.5 must be a number in (0, 1]: set e.g. keep_prob=1.0"),
        (
            {"space": {"keep_prob": {"uniform": [0.5, 1.5]}}},
            "space.keep_prob: uniform [0.5, 1.5] can give 1.5, which the mlp trainable refuses: "
            "1.5 must be a number in (0, 1]: set e.g. keep_prob=1.0",
        ),
        (
            {"space": {"batch_size": {"pow2": [30, 100]}}},
            "space.batch_size: pow2 bounds must be powers of two, got [30, 100]: write [32, 64]",
        ),
        (
            {"space": {}},
            "space: is empty, so there is nothing to tune: add a parameter, e.g. lr: {loguniform: [1e-4, 1]}",
        ),
        (
            {"space": {"hiden_units": 32}},
            "space.hiden_units: the mlp trainable has no config key 'hiden_units' (did you mean 'hidden_units'?)",
        ),
        (
            {"space": {"hidden_units": {"uniform": [16, 256]}}},
            "space.hidden_units: uniform gives fractional values but hidden_units takes integers: "
            "write hidden_units: {int: [16, 256]}",
        ),
        (
            {"space": {"lr_decay": {"choice": ["none", "step"]}, "decay_rate": {"uniform": [0.5, 2]}}},
            "space.decay_rate: 2.0 must be in (0, 1] for lr_decay=step (the lr is multiplied by it): "
            "set e.g. decay_rate=0.95",
        ),
        (
            {"space": {"plan_id": 3}},
            "space.plan_id: the name is reserved for a results column; rename the parameter",
        ),
        (
            {"metric": "dev_acc"},
            "metric: the mlp trainable never reports 'dev_acc' (did you mean 'dev_accuracy'? it reports "
            "dev_accuracy, dev_loss, train_accuracy, train_loss, lr, train_seconds, epoch)",
        ),
        (
            {"samples": 1e30},
            "samples: 1e+30 configs per round is more than 100000: lower it (add rounds to spend more compute)",
        ),
        ({"seed": -1}, "seed: must be an integer in [0, 4294967295], got -1"),
        (
            {"name": "../../etc/x"},
            "name: '../../etc/x' must be a plain name (letters, digits, spaces, . _ - + = @ ,; no '/' or '..'; "
            "at most 100 characters): e.g. name: digits-momentum",
        ),
        (
            {"trainable": "os:getcwd"},
            "trainable: 'os:getcwd' cannot be called with one config argument (its signature is ()): "
            "a trainable is def train(config): ...",
        ),
        (
            {"trainable": "mlpp"},
            "trainable: unknown built-in 'mlpp' (did you mean 'mlp'?); or give package.module:function",
        ),
        (
            {"data": "mnist"},
            "data 'mnist': neither a built-in dataset (digits, spirals, mnist1d) nor a file: did you mean "
            "'mnist1d'? give a built-in name or a .csv, .parquet or .npz path",
        ),
        (
            {"data": "spirals:n=abc"},
            "data 'spirals:n=abc': bad option 'n=abc' (options: n, classes, features, noise, seed): "
            "write e.g. spirals:n=20000,classes=3,features=2,noise=0.2",
        ),
        (
            {"data": "spirals:classes=1"},
            "data 'spirals:classes=1': n=3000, classes=1, features=2, noise=0.2 invalid: need classes ≥ 2, "
            "features ≥ 2, 2·classes ≤ n ≤ 10^8, features ≤ 10^5, noise ≥ 0",
        ),
        ({"data": "digits:n=3"}, "data 'digits:n=3': digits takes no options: write data: digits"),
    ],
    ids=lambda v: "" if isinstance(v, str) else "-".join(f"{k}" for k in v),
)
def test_preflight_rejects_what_launch_would_fail_on(data: dict[str, Any], message: str) -> None:
    preflight_fails(data, message)


def test_preflight_imports_the_users_trainable(tmp_path: Path) -> None:
    (tmp_path / "mytrain.py").write_text(
        "def train(config):\n    pass\n\ndef two(a, b):\n    pass\n\nNOT_CALLABLE = 3\n"
    )
    (tmp_path / "broken.py").write_text("raise RuntimeError('no GPU here')\n")
    spec_path = tmp_path / "s.yaml"
    spec_path.write_text("trainable: mytrain:train\nmetric: anything\ndata: whatever\nspace: {foo: 1}\n")
    preflight(load_spec(spec_path))  # a user's trainable: its keys, metric and data are its own
    for ref, message in [
        ("mytrain:two", "trainable: 'mytrain:two' cannot be called with one config argument (its signature is (a, b))"),
        ("mytrain:NOT_CALLABLE", "trainable 'mytrain:NOT_CALLABLE': 'NOT_CALLABLE' is not callable"),
        ("mytrain:nope", "trainable 'mytrain:nope': 'mytrain' has no 'nope': fix the name"),
        (
            "broken:train",
            "trainable 'broken:train': importing 'broken' raised RuntimeError: no GPU here: fix the module",
        ),
    ]:
        spec_path.write_text(f"trainable: {ref}\nspace: {{foo: 1}}\n")
        with pytest.raises(SweepError) as err:
            preflight(load_spec(spec_path))
        assert str(err.value).startswith(message)


def test_preflight_reads_data_files_beside_the_spec(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    (tmp_path / "nolabel.csv").write_text("a,b,c\n1,2,3\n4,5,6\n")
    spec_path = tmp_path / "s.yaml"
    spec_path.write_text("data: ok.csv\nspace: {lr: 0.1}\n")
    preflight(load_spec(spec_path))
    spec_path.write_text("data: nolabel.csv\nspace: {lr: 0.1}\n")
    with pytest.raises(SweepError, match=r"^data file 'nolabel.csv' has no label column 'label' \(columns: a, b, c\)"):
        preflight(load_spec(spec_path))
    spec_path.write_text("data: ok.csv\nspace: {lr: 0.1, label: b}\n")
    preflight(load_spec(spec_path))  # the space's label is the one checked


def test_preflight_only_sniffs_the_header_of_a_big_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sweep.checks import data as data_preflight

    monkeypatch.setattr(data_preflight, "FULL_LOAD_BYTES", 0)
    monkeypatch.setattr("trainables.data.load_dataset", lambda *a, **k: pytest.fail("loaded a big file in full"))
    (tmp_path / "big.csv").write_text("a,b,label\n1,x,0\n")
    with pytest.raises(SweepError, match=r"^data file 'big.csv' has non-numeric feature columns: b: encode them"):
        data_preflight.check_data("big.csv", tmp_path)
    (tmp_path / "big.csv").write_text("a,b,label\n1,2,0\n")
    data_preflight.check_data("big.csv", tmp_path)
    np.savez(tmp_path / "big.npz", x=np.zeros((3, 2)), z=np.zeros(3))
    with pytest.raises(SweepError, match=r"^data file 'big.npz' holds arrays x, z: save the features as `x`"):
        data_preflight.check_data("big.npz", tmp_path)
    np.savez(tmp_path / "big.npz", x=np.array([["a", "b"]]), y=np.zeros(1))
    with pytest.raises(SweepError, match=r"^data file 'big.npz': `x` must be a numeric 2-D array"):
        data_preflight.check_data("big.npz", tmp_path)
