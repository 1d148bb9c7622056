"""Packaging metadata: a publishable distribution name, a licence, the optional extras."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
ROOT = Path(__file__).resolve().parents[1]


def test_distribution_name_licence_and_extras() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # PyPI's `sweep` belongs to an unrelated project; the import packages and the command keep the name.
    assert project["name"] == "sweep-tune"
    assert project["scripts"] == {"sweep": "sweep.cli.main:main"}
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert {r.split(">")[0] for r in project["optional-dependencies"]["track"]} == {"mlflow", "tensorboardX"}
    assert "track" in (ROOT / "dev").read_text().split("pip install --quiet -c constraints.txt -e ")[1].split("\n")[0]
