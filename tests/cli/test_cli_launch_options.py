"""`sweep launch`'s newer options: one-line errors for bad budgets and samplers; `-q` still names the sweep;
`sweep up` keeps a loopback Ray that `sweep launch` joins without flags, and `sweep down` ends exactly it."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pytest
import yaml

import sweep
from sweep.store import schema as S
from tests.conftest import free_port, invoke_cli, run_cli, tiny_spec

FORMS = "give a positive number of seconds, or a duration like 90s, 10m, 2h, 1.5h"


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        ("-5s", "cannot read '-5s' as a duration"),
        ("ten minutes", "cannot read 'ten minutes' as a duration"),
        ("0", "got '0', which is not a positive duration"),
    ],
)
def test_bad_time_budgets_are_one_line_errors(tmp_path, budget, message):
    proc = invoke_cli("launch", "--time-budget", budget, "--storage", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: --time-budget: {message}; {FORMS}"
    assert not list(tmp_path.iterdir())


def test_unknown_sampler_is_one_line(tmp_path):
    proc = run_cli("launch", "--sampler", "tpee", "--storage", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --sampler: unknown sampler 'tpee' (choose random, sobol, grid, tpe)"


@pytest.mark.parametrize("scheme", ["", "ray://"], ids=["gcs", "ray-client"])
def test_an_address_where_nothing_answers_is_one_line_at_once_and_leaves_no_sweep(tmp_path, scheme):
    """Before, Ray tried such an address for about 14 minutes (Ray Client: 30 s), printing its warnings, and the
    launch left an interrupted sweep of nothing behind. The console script, as a user's shell runs it: this
    process's Ray settings (loopback, single node) are its environment there, so Ray resolves 127.0.0.1 to itself."""
    port = free_port()  # a loopback port that nothing listens on
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny_spec()))
    storage = tmp_path / "sweeps"
    address = f"{scheme}127.0.0.1:{port}"
    proc = run_cli("launch", str(spec), "--storage", str(storage), "--address", address, "--quiet", timeout=60)
    assert (proc.returncode, proc.stdout) == (2, ""), proc.stderr
    assert proc.stderr == (
        f"error: cannot connect to the Ray cluster at '{address}': nothing answers at 127.0.0.1:{port} (connection "
        "refused); check the address (`ray status` on the head shows it) and that the cluster is up\n"
    )
    assert not storage.exists() or not any(storage.iterdir())


@pytest.mark.parametrize(
    "address, says",
    [("127.0.0.1", "not an address Ray joins; give HOST:PORT"), ("head:abc", "not an address Ray joins"),
     ("127.0.0.1:70000", "not an address Ray joins"), ("ray://:10001", "not an address Ray joins"),
     ("http://127.0.0.1:8265", "that is the dashboard's address, where `ray job submit` sends jobs")],
)  # fmt: skip
def test_a_malformed_address_is_one_line(tmp_path, address, says):
    """Ray's parser refused these with a bare ValueError ("error: unexpected ValueError"), `:6379` with a
    traceback logged per attempt."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny_spec()))
    proc = invoke_cli("launch", str(spec), "--storage", str(tmp_path / "sweeps"), "--address", address)
    assert proc.returncode == 2 and proc.stdout == "", proc.stderr
    assert proc.stderr.startswith(f"error: cannot connect to the Ray cluster at '{address}': {says}"), proc.stderr
    assert proc.stderr.count("\n") == 1 and not any((tmp_path / "sweeps").glob("*"))  # no sweep made


def test_a_dashboard_address_in_ray_address_is_one_line_naming_it(tmp_path):
    """RAY_ADDRESS set for `ray job submit` (the dashboard's http:// address), then a plain `sweep launch`."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny_spec()))
    env = {**os.environ, "RAY_ADDRESS": "http://127.0.0.1:8265"}
    proc = invoke_cli("launch", str(spec), "--storage", str(tmp_path / "sweeps"), env=env)
    assert proc.returncode == 2 and proc.stderr.startswith(
        "error: cannot connect to the Ray cluster at 'http://127.0.0.1:8265' (RAY_ADDRESS): that is the dashboard's"
    ), proc.stderr
    assert not any((tmp_path / "sweeps").glob("*"))


@pytest.mark.ray
@pytest.mark.slow
def test_sweep_up_is_joined_by_launch_and_sweep_down_ends_it(tmp_path):
    # A home of its own (short: Ray's socket paths live under its temp directory) keeps the record, the token
    # and the Ray apart from the developer's.
    home = Path(tempfile.mkdtemp(prefix="h", dir="/tmp"))
    env = {**os.environ, "HOME": str(home)}
    port = free_port()
    try:
        up = run_cli("up", "--cpus", "2", "--port", str(port), "--no-dashboard", env=env, check=True)
        assert f"local Ray up at 127.0.0.1:{port}" in up.stdout
        spec = tmp_path / "spec.yaml"
        spec.write_text(yaml.safe_dump(tiny_spec(samples=2)))
        launch = run_cli("launch", str(spec), "--storage", str(tmp_path / "s"), "-q", env=env, check=True)
        [directory] = list((tmp_path / "s").iterdir())
        lines = launch.stdout.splitlines()
        assert lines[0] == f"sweep: {directory}"  # -q still names the sweep, which Ray, and the winner
        assert lines[1] == f"ray: the local Ray from `sweep up` at 127.0.0.1:{port} (`sweep down` stops it)"
        result = sweep.load(directory)
        assert len(result.trials[S.PLAN_ID]) == 2 and lines[-1].startswith(f"{directory}: winner ")
        again = run_cli("up", "--port", str(port), env=env, check=True)  # already up: the same one
        assert f"local Ray up at 127.0.0.1:{port}" in again.stdout
    finally:
        down = run_cli("down", env=env)
    assert down.returncode == 0 and down.stdout.strip() == "local Ray stopped"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the Ray from `sweep up` still answers"
    assert run_cli("down", env=env).stdout.strip() == "no local Ray from `sweep up` is running"
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.parametrize("scheme", ["", "ray://"], ids=["gcs", "ray-client"])
def test_an_address_where_something_else_answers_is_one_line_at_once(tmp_path, scheme):
    """Before, a port where a web server (the dashboard's, given without http://) answered made Ray wait as long as
    for a port where nothing does, printing its GCS warnings."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny_spec()))
    address = f"{scheme}127.0.0.1:{port}"
    try:
        proc = run_cli("launch", str(spec), "--storage", str(tmp_path / "sweeps"), "--address", address, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert (proc.returncode, proc.stdout) == (2, ""), proc.stderr
    assert proc.stderr == (
        f"error: cannot connect to the Ray cluster at '{address}': what answers at 127.0.0.1:{port} is not Ray (it "
        "answered '<!DOCTYPE HTML>'); check the port: a head listens on 6379 unless "
        "started otherwise (`ray status` on the head shows its address), Ray Client on 10001\n"
    )
