"""`sweep train`: the config it builds from a spec, and the console script end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from search_spaces import Param
from sweep.cli.train_cmd import config_from_spec
from tests.conftest import invoke_cli

SWEEP = Path(sys.executable).parent / "sweep"


def test_config_from_spec_defaults_then_overrides() -> None:
    spec = SimpleNamespace(
        data="spirals",
        space={
            "lr": Param.from_entry("lr", {"loguniform": [1e-4, 1], "default": 0.05}),
            "optimizer": Param.from_entry("optimizer", "adam"),
            "hidden_units": Param.from_entry("hidden_units", {"int": [16, 64]}),  # no default: the trainable's
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
    """The console script (its packaging contract)."""
    return subprocess.run([str(SWEEP), "train", *args], capture_output=True, text=True, timeout=120)


def _train(*args: str) -> subprocess.CompletedProcess:
    """The same command in this process (no fresh Python and torch import per call)."""
    return invoke_cli("train", *args)


def test_sweep_train_json() -> None:
    done = _train("--epochs", "2", "--json", "--set", "hidden_units=16", "--set", "threads=1")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [m["epoch"] for m in lines[:-1]] == [1, 2]
    assert lines[-1]["summary"] is True and 0.0 <= lines[-1]["test_accuracy"] <= 1.0


def test_sweep_train_bad_data_is_one_line() -> None:
    done = _train("--epochs", "1", "--set", "data=missing.csv")
    assert done.returncode == 2
    assert done.stderr.startswith("error: data file 'missing.csv' not found")
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_split_without_a_test_share_says_so_instead_of_nan() -> None:
    done = _train("--epochs", "1", "--set", "hidden_units=16", "--set", "threads=1", "--set", "split=[0.8, 0.2, 0]")
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.endswith(", no test score (the split keeps no test share)") and "nan" not in last, last


def test_a_typo_in_set_is_refused_with_did_you_mean() -> None:
    # Before: `sweep train --set lrr=0.1` trained silently at the default lr.
    done = _sweep("--epochs", "1", "--set", "lrr=0.1")
    assert done.returncode == 2
    assert done.stderr == "error: --set lrr: the mlp trainable has no config key 'lrr' (did you mean 'lr'?)\n"
    assert done.stdout == ""


USER_PROJECT = Path(__file__).parents[1] / "user_project"


def test_a_typo_for_a_user_trainable_names_the_keys_it_reads() -> None:
    done = _train(str(USER_PROJECT / "docs.yaml"), "--set", "lrr=0.1")
    assert done.returncode == 2
    assert done.stderr == (
        "error: --set lrr: not a key of the spec's space nor data, seed, epochs (did you mean 'lr'? known: lr, "
        "epochs, data, seed): to pass a new key to docs_trainable:train, add it to the spec's space\n"
    )


@pytest.mark.ray
@pytest.mark.slow
def test_sweep_train_runs_a_trainable_written_from_rays_docs(ray_instance) -> None:
    # One trial of a minimal Tune run, joined to the shared Ray (RAY_ADDRESS), epochs printed as they arrive.
    env = {**os.environ, "RAY_ADDRESS": ray_instance.address}
    done = subprocess.run(
        [str(SWEEP), "train", str(USER_PROJECT / "docs.yaml"), "--set", "lr=0.5", "--set", "seed=7", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [m["epoch"] for m in lines[:-1]] == [1, 2, 3]
    assert [m["dev_accuracy"] for m in lines[:-1]] == pytest.approx([0.5 + 7e-4, 0.75 + 7e-4, 0.875 + 7e-4])
    assert lines[-1]["summary"] is True and lines[-1]["best_dev_accuracy"] == pytest.approx(0.875 + 7e-4)
    assert lines[-1]["seed_seen"] == 7  # the seed reaches the trainable as the config key `seed`


@pytest.mark.ray
@pytest.mark.slow
def test_sweep_train_names_a_metric_the_trainable_does_not_report(ray_instance, tmp_path) -> None:
    import shutil

    import yaml

    project = tmp_path / "project"
    shutil.copytree(USER_PROJECT, project)
    spec = yaml.safe_load((project / "docs.yaml").read_text())
    (project / "wrong.yaml").write_text(yaml.safe_dump({**spec, "metric": "val_loss", "mode": "min"}))
    env = {**os.environ, "RAY_ADDRESS": ray_instance.address}
    done = subprocess.run([str(SWEEP), "train", str(project / "wrong.yaml")], capture_output=True, text=True,
                          timeout=300, env=env)  # fmt: skip
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "reported epoch, dev_accuracy, seed_seen but not the spec's metric val_loss" in lines[0]
    assert "nan" not in done.stdout
