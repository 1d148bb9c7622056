"""A sweep written by the per-round layout (one Tuner per round, ray/round-N) still loads, shows and exports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

import sweep
from sweep.store import schema as S
from tests.conftest import invoke_cli, run_cli

LEGACY = Path(__file__).parents[1] / "fixtures" / "legacy-per-round-sweep"


def test_legacy_sweep_loads_shows_and_exports(tmp_path):
    directory = tmp_path / "legacy"
    shutil.copytree(LEGACY, directory)
    result = sweep.load(directory)
    assert result.status == "completed" and len(result.trials) == 8
    assert result.trials.groupby(S.ROUND).size().to_dict() == {1: 4, 2: 4}
    assert result.best()[S.PLAN_ID] == result.state["summary"]["best"]["plan_id"]

    shown = run_cli("show", str(directory), check=True)
    assert result.best()[S.PLAN_ID] in shown.stdout and "Traceback" not in shown.stderr
    out = tmp_path / "top.csv"
    invoke_cli("export", str(directory), "-o", str(out), "--top", "3", check=True)
    exported = pd.read_csv(out)
    assert len(exported) == 3 and exported[S.BEST].is_monotonic_decreasing
