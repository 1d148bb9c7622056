"""The benchmark harness cannot rot: `python -m bench.run --smoke` runs every runner and probe once on a
tiny workload, and its JSON holds sane fields for each. No timing assertions: the figures are noise here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUNNERS = {"sweep launch", "ray defaults", "optuna", "sequential"}


@pytest.mark.slow
def test_bench_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())

    records = result["workloads"]["W1"]["records"]
    expected = RUNNERS if not result["notes"] else RUNNERS - {"optuna"}  # optuna is an optional extra
    assert {r["runner"] for r in records} == expected
    for record in records:
        assert record["ok"], record.get("error")
        assert record["wall"] > 0
        assert record["trials"] == 4 and record["epochs"] > 0
        assert 0 < record["efficiency"] <= 1.5, record
        assert 0 <= record["best_dev_accuracy"] <= 1
        assert record["wall_over_ideal"] > 0 and record["wall_vs_sweep"] > 0
    assert not result["workloads"]["W1"]["epoch1_mismatches"]  # identical configs, identical curves
    ray_runs = [r for r in records if r["runner"] in ("sweep launch", "ray defaults")]
    assert all(r["ray_init"] > 0 for r in ray_runs)

    (point,) = result["scale"]
    assert point["ok"] and point["trials_done"] == 8 and point["driver_maxrss_mb"] > 0
    assert result["trainable"]["speedup"] > 0
    assert len(result["load_at_start"]) == 3
    assert result["targets"]
