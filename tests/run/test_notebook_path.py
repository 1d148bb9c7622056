"""The notebook path: a trainable defined in the calling script, whatever the order of `ray` and `sweep` imports.

The example is the one docs/trainable.md shows. Each case runs in a fresh interpreter with a user's shell
environment (none of the variables sweep sets), because Ray reads its settings once, at import: an in-process
test would see the ones conftest already set.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sweep.cluster.environment import LOCAL_ENVIRONMENT

DOCS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "trainable.md"


def notebook_example() -> str:
    """The docs' notebook example (docs/trainable.md, "From a notebook": 4 trials of 2 epochs) without its imports,
    which each case puts in its own order."""
    section = DOCS_PAGE.read_text().split("## From a notebook", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "docs/trainable.md lost its notebook example"
    lines = code.group(1).splitlines()
    return "\n".join(line for line in lines if not line.startswith(("from ray import", "from sweep import"))) + "\n"


REPORT = """
import json, ray
print("RESULT " + json.dumps({"statuses": sorted(result.trials["status"]),
                              "node_ips": sorted(set(result.trials["node_ip"])),
                              "joined_left_running": ray.is_initialized()}))
ray.shutdown()
"""
ORDERS = {
    # a trainable needs `tune.report`, so a script imports ray.tune first
    "ray-tune-first": "from ray import tune\nfrom sweep import RunOptions, run_sweep\n",
    "sweep-first": "from sweep import RunOptions, run_sweep\nfrom ray import tune\n",
    # a kernel: cells import ray.tune, then sweep, then start Ray; the sweep joins it
    "kernel-ray-init-ran": (
        "import ray\nfrom ray import tune\nfrom sweep import RunOptions, run_sweep\n"
        "ray.init(num_cpus=2, include_dashboard=False)\n"
    ),
}


def _user_environment() -> dict[str, str]:
    """This process's environment without what sweep (via conftest) set: a user's fresh shell."""
    env = {key: value for key, value in os.environ.items() if key not in LOCAL_ENVIRONMENT}
    env["RAY_USAGE_STATS_ENABLED"] = "0"  # tests never send statistics
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def run_example(preamble: str, folder: Path) -> dict:
    script = preamble + notebook_example() + REPORT
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=folder, env=_user_environment(), capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Failed to get cluster ID" not in done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.parametrize("order", sorted(ORDERS))
def test_the_notebook_example_completes_on_loopback_in_any_import_order(order, tmp_path):
    outcome = run_example(ORDERS[order], tmp_path)
    assert len(outcome["statuses"]) == 4 and set(outcome["statuses"]) <= {"completed", "pruned"}  # ASHA may prune
    assert outcome["node_ips"] == ["127.0.0.1"]
    assert outcome["joined_left_running"] == (order == "kernel-ray-init-ran")  # a Ray it joined is not stopped


def test_connecting_to_a_cluster_takes_back_only_the_local_keys_sweep_set(monkeypatch):
    from sweep.cluster import environment

    monkeypatch.delenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", raising=False)
    monkeypatch.setattr(environment, "_set_here", set())
    monkeypatch.setattr(environment, "ray_is_connected", lambda: False)  # as before this session's Ray tests
    monkeypatch.setattr(environment, "_update_imported_ray", lambda: None)
    environment.prepare_environment(local=True)
    assert os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] == "0"
    environment.prepare_environment(local=False)  # a cluster's driver: Ray picks the node's own address
    assert "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER" not in os.environ
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # the user's own value stays
    environment.prepare_environment(local=False)
    assert os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] == "0"
