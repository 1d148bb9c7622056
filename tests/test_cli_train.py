"""`sweep train`: the config it builds from a spec, and the console script end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from sweep.cli.train_cmd import config_from_spec

SWEEP = Path(sys.executable).parent / "sweep"


def _param(scale: str, values: tuple = (), default=None) -> SimpleNamespace:
    return SimpleNamespace(scale=scale, values=values, default=default)


def test_config_from_spec_defaults_then_overrides() -> None:
    spec = SimpleNamespace(
        data="spirals",
        space={
            "lr": _param("loguniform", default=0.05),
            "optimizer": _param("value", ("adam",), default=None),
            "hidden_units": _param("int"),  # no default: the trainable's own default applies
        },
    )
    assert config_from_spec(spec) == {"lr": 0.05, "optimizer": "adam", "data": "spirals"}
    assert config_from_spec(spec, [("lr", 0.1), ("data", "digits")], epochs=2) == {
        "lr": 0.1,
        "optimizer": "adam",
        "data": "digits",
        "epochs": 2,
    }


def _sweep(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SWEEP), "train", *args], capture_output=True, text=True, timeout=120)


def test_sweep_train_json() -> None:
    done = _sweep("--epochs", "2", "--json", "--set", "hidden_units=16", "--set", "threads=1")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [m["epoch"] for m in lines[:-1]] == [1, 2]
    assert lines[-1]["summary"] is True and 0.0 <= lines[-1]["test_accuracy"] <= 1.0


def test_sweep_train_bad_data_is_one_line() -> None:
    done = _sweep("--epochs", "1", "--set", "data=missing.csv")
    assert done.returncode == 2
    assert done.stderr.startswith("error: data file 'missing.csv' not found")
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
