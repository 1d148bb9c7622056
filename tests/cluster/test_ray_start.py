"""The embedded local Ray's start: a start that fails is one line, not `error: unexpected`."""

from __future__ import annotations

import pytest

from sweep.cluster import local
from tests.conftest import invoke_cli

TIMED_OUT = (
    "The current node timed out during startup. This could happen because some of the raylet failed to startup "
    "or the GCS has become overloaded."
)  # Ray's own words (ray/_private/node.py), raised as a bare Exception on a busy machine


@pytest.fixture
def ray_that_times_out(monkeypatch):
    import ray

    def init(*args, **kwargs):
        raise Exception(TIMED_OUT)

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", init)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def test_a_local_ray_that_does_not_start_is_a_one_line_run_failure(ray_that_times_out):
    with pytest.raises(local.RayStartError) as err:
        local.connect(cpus=1, dashboard=False, warm=False)
    assert str(err.value) == (
        "the local Ray did not start (The current node timed out during startup. This could happen because some of "
        "the raylet failed to startup or the GCS has become overloaded.): the machine may be too busy or short of "
        "memory; try again when it is quieter (Ray's own logs: /tmp/ray/session_latest/logs)"
    )
    assert err.value.exit_code == 1


def test_the_launch_says_so_in_one_line_and_exits_1(ray_that_times_out, tmp_path):
    proc = invoke_cli("launch", "digits-momentum", "--storage", str(tmp_path), "--quiet")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("error: the local Ray did not start (The current node timed out during startup.")
    assert proc.stderr.count("\n") == 1
