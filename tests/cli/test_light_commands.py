"""Small commands stay small: `sweep validate` and `sweep show` import neither torch nor Ray (their times are in
the benchmark figures of docs/benchmarks.md, not asserted here)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

HEAVY = ("torch", "ray", "matplotlib", "sklearn")


def _imported_by(*argv: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    script = (
        "import sys\nfrom sweep.cli.main import main\n"
        f"main({list(argv)!r})\n"
        f"print('HEAVY', sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("HEAVY "))
    return ast.literal_eval(line.removeprefix("HEAVY "))


@pytest.mark.parametrize("spec", ["digits-adam", "mnist1d-cnn1d"])
def test_validate_imports_no_torch_and_no_ray(spec):
    assert _imported_by("validate", spec) == []


def test_show_imports_no_torch_and_no_ray(tmp_path: Path):
    root = tmp_path / "light-20261204-100000"
    root.mkdir()
    state = {"name": "light", "status": "completed", "metric": "dev_accuracy", "mode": "max", "params": ["lr"]}
    (root / "sweep.json").write_text(json.dumps(state))
    trials = {"plan_id": ["r1-000", "r1-001"], "trial_id": ["a", "b"], "round": [1, 1], "status": ["completed"] * 2}
    trials |= {"epochs_trained": [2, 2], "best_metric": [0.5, 0.7], "last_metric": [0.5, 0.7], "lr": [0.1, 0.2]}
    pd.DataFrame(trials).to_csv(root / "trials.csv", index=False)
    assert _imported_by("show", str(root)) == []


def test_commands_that_read_no_tables_start_without_pandas():
    # pandas' import is some 0.4 s of every start; only the commands that read result tables need it
    assert _imported_by("sample", "digits-adam", "-n", "2", heavy=(*HEAVY, "pandas")) == []
