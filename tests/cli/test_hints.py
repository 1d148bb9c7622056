"""Every suggestion an error prints works: each test runs the command (or spec change) the message names."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_digits

from search_spaces import parse_spec
from search_spaces.errors import SpecError
from tests.conftest import invoke_cli, run_cli


def _suggestion(stderr: str) -> str:
    """The last `...` span of a one-line error: the thing to run or write."""
    spans = re.findall(r"`([^`]+)`", stderr)
    assert spans, stderr
    return spans[-1]


def _digits_csv(path: Path, label: str = "target", rows: int = 300) -> Path:
    digits = load_digits()
    frame = pd.DataFrame(digits.data[:rows]).add_prefix("px")
    frame[label] = digits.target[:rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def _spec(folder: Path, **extra) -> Path:
    spec = {
        "name": "hint",
        "data": "data/small.csv",  # relative: the spec's directory, from any working directory
        "samples": 2,
        **extra,
        "space": {"lr": {"loguniform": [0.01, 0.5], "default": 0.1}, "hidden_units": 16, "epochs": 2, "threads": 1},
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_the_missing_label_hint_is_a_spec_line_that_works(tmp_path):
    project = tmp_path / "project"
    _digits_csv(project / "data" / "small.csv")
    spec = _spec(project)
    done = invoke_cli("validate", str(spec), cwd=tmp_path)
    assert done.returncode == 2
    assert "data file 'small.csv' has no label column 'label'" in done.stderr
    line = _suggestion(done.stderr)
    assert line == "label: target"
    spec.write_text(spec.read_text() + line + "\n")  # what the message says to write
    fixed = invoke_cli("validate", str(spec), cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr


def test_the_old_label_under_space_still_works_and_a_conflict_is_refused():
    old = parse_spec({"space": {"label": "target", "lr": 0.1}})
    new = parse_spec({"label": "target", "space": {"lr": 0.1}})
    assert old.space.to_dict() == new.space.to_dict()
    with pytest.raises(SpecError, match=r"^label: given at the top \('y'\) and under space \('target'\): keep one"):
        parse_spec({"label": "y", "space": {"label": "target"}})


def test_train_and_validate_read_a_relative_data_path_from_the_specs_directory(tmp_path):
    project = tmp_path / "project"
    _digits_csv(project / "data" / "small.csv", label="label")
    spec = _spec(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd in (elsewhere, project):
        assert invoke_cli("validate", str(spec), cwd=cwd).returncode == 0
        done = invoke_cli("train", str(spec), "--epochs", "1", "--json", cwd=cwd)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[-1])["summary"] is True


def _fake_sweep(storage: Path, name: str) -> Path:
    root = storage / name
    root.mkdir(parents=True)
    state = {"name": "fake", "status": "completed", "metric": "dev_accuracy", "mode": "max", "started_at": 0}
    (root / "sweep.json").write_text(json.dumps(state))
    return root


def test_show_of_a_wrong_directory_names_the_ls_that_finds_the_sweeps(tmp_path):
    storage = tmp_path / "results"
    _fake_sweep(storage, "fake-20261204-100000")
    done = invoke_cli("show", str(storage / "fake-typo"), cwd=tmp_path)  # a typo: the sweeps are beside it
    assert done.returncode == 2
    command = _suggestion(done.stderr)
    assert command == f"sweep ls {storage}"
    listed = invoke_cli(*shlex.split(command)[1:], cwd=tmp_path)
    assert listed.returncode == 0 and "fake-20261204-100000" in listed.stdout

    done = invoke_cli("show", str(storage), cwd=tmp_path)  # the storage directory itself
    assert done.returncode == 2 and "it holds sweeps" in done.stderr
    listed = invoke_cli(*shlex.split(_suggestion(done.stderr))[1:], cwd=tmp_path)
    assert listed.returncode == 0 and "fake-20261204-100000" in listed.stdout


def test_ls_names_the_directory_it_looked_in(tmp_path):
    done = run_cli("ls", cwd=tmp_path)
    assert done.returncode == 2
    assert f"storage directory 'sweeps' not found (looked in {tmp_path / 'sweeps'})" in done.stderr
